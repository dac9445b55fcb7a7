import { randomBytes } from 'node:crypto';
import { CONTEXT_NAMES, type ContextName } from '@bookshop/contexts';
import { EVENTS, deadLetterFilter } from './catalogue.js';

/**
 * Who may say what on the event bus. nats-server has one user per context: it may publish only
 * its own events (`<prefix>.<context>.>`) and its dead letters, and use the JetStream API only for
 * the shop's stream and its own durable consumers. So a context's credentials cannot forge
 * another context's event, and a client without credentials cannot connect at all.
 *
 * The subjects below are the ones the nats.js client (@nats-io/jetstream 3) sends — found by
 * running it against a nats-server with this configuration (permissions.test.ts keeps it so).
 */

/** A password written into the config, or the environment variable nats-server reads it from (`$VAR`). */
export type NatsSecret = string | { env: string };

export interface NatsAuthorizationOptions {
  prefix: string;
  stream: string;
  passwords: Record<ContextName, NatsSecret>;
  /**
   * Each context's durable consumers. Default: the context's name; my page has one per instance
   * (`mypage-<instance>`, subgraphs/mypage/src/events.ts), `mypage-main` unless told otherwise.
   */
  durables?: Partial<Record<ContextName, readonly string[]>>;
  /** A user allowed everything: the dead-letter tool, tests, an operator. Left out when not given. */
  admin?: { user: string; password: NatsSecret };
}

/** The user name of a context's NATS user: the context's name. */
export const natsUserOf = (context: ContextName) => context;

/**
 * Where a user's replies arrive. Each user gets its own inbox prefix, so no context can read the
 * JetStream answers and deliveries meant for another. connectEventBus sets it from the user name.
 */
export const inboxPrefixOf = (user: string) => `_INBOX_${user}`;

const DEFAULT_DURABLES: Record<ContextName, readonly string[]> = {
  book: ['book'],
  order: ['order'],
  delivery: ['delivery'],
  review: ['review'],
  mypage: ['mypage-main'],
};

/** The contexts that own events in the catalogue: only they publish on `<prefix>.<context>.>`. */
const PUBLISHERS = new Set<string>(EVENTS.map((event) => event.context));

const NAME = /^[\w-]+$/;

function checkName(what: string, name: string): string {
  if (!NAME.test(name)) throw new Error(`${what} "${name}" may hold only letters, digits, _ and -`);
  return name;
}

/** The subjects a context's user may publish to (its events, its dead letters, the JetStream API it uses). */
function publishAllowedFor(context: ContextName, options: Pick<NatsAuthorizationOptions, 'prefix' | 'stream' | 'durables'>): string[] {
  const prefix = checkName('prefix', options.prefix);
  const stream = checkName('stream', options.stream);
  const durables = (options.durables?.[context] ?? DEFAULT_DURABLES[context]).map((durable) => checkName('durable', durable));
  const api = '$JS.API';
  return [
    ...(PUBLISHERS.has(context) ? [`${prefix}.${context}.>`] : []),
    // jetstreamManager() asks for the account's JetStream info first; ensureStream reads the
    // stream and creates it when it is missing. No STREAM.UPDATE: a context able to change the
    // stream could add a subject transform that turns its own subjects into another's.
    `${api}.INFO`,
    `${api}.STREAM.INFO.${stream}`,
    `${api}.STREAM.CREATE.${stream}`,
    ...durables.flatMap((durable) => [
      // Create and update (the filter as a subject suffix; without it for several filters, on
      // nats-server 2.10+), read, pull, delete (a my page rebuild), ack, park.
      `${api}.CONSUMER.CREATE.${stream}.${durable}`,
      `${api}.CONSUMER.CREATE.${stream}.${durable}.>`,
      `${api}.CONSUMER.INFO.${stream}.${durable}`,
      `${api}.CONSUMER.MSG.NEXT.${stream}.${durable}`,
      `${api}.CONSUMER.DELETE.${stream}.${durable}`,
      `$JS.ACK.${stream}.${durable}.>`,
      deadLetterFilter(prefix, durable),
    ]),
  ];
}

const quoted = (text: string) => JSON.stringify(text);

function secret(value: NatsSecret): string {
  if (typeof value !== 'string') return `$${checkName('environment variable', value.env)}`;
  if (!value || /[\s"\\]/.test(value)) throw new Error('a NATS password must be non-empty, without spaces, quotes or backslashes');
  return quoted(value);
}

function userBlock(user: string, password: NatsSecret, publish: string[], subscribe: string[]): string {
  const list = (subjects: string[]) => `[\n${subjects.map((subject) => `          ${quoted(subject)}`).join('\n')}\n        ]`;
  return [
    '    {',
    `      user: ${quoted(user)}`,
    `      password: ${secret(password)}`,
    '      permissions: {',
    `        publish: { allow: ${list(publish)} }`,
    `        subscribe: { allow: ${list(subscribe)} }`,
    '      }',
    '    }',
  ].join('\n');
}

/** The `authorization { … }` block of a nats-server configuration: one user per context (and the admin). */
export function natsAuthorizationConfig(options: NatsAuthorizationOptions): string {
  const users = CONTEXT_NAMES.map((context) =>
    userBlock(natsUserOf(context), options.passwords[context], publishAllowedFor(context, options), [
      `${inboxPrefixOf(natsUserOf(context))}.>`,
    ]),
  );
  if (options.admin) users.push(userBlock(checkName('admin user', options.admin.user), options.admin.password, ['>'], ['>']));
  return [
    `# Generated by @bookshop/events (permissions.ts) for prefix ${options.prefix}, stream ${options.stream}.`,
    'authorization {',
    '  users: [',
    users.join('\n'),
    '  ]',
    '}',
    '',
  ].join('\n');
}

/** Every NATS password of a shop: one per context, and the admin's. */
export interface NatsPasswords {
  contexts: Record<ContextName, string>;
  admin: string;
}

/** Fresh random passwords (hex, so they need no quoting anywhere). */
export function generateNatsPasswords(): NatsPasswords {
  const fresh = () => randomBytes(24).toString('hex');
  return {
    contexts: Object.fromEntries(CONTEXT_NAMES.map((context) => [context, fresh()])) as Record<ContextName, string>,
    admin: fresh(),
  };
}
