import { buildSchema, type GraphQLSchema } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { signToken } from './auth.js';
import { startGraphQLService, type RunningService, type ServiceContext } from './graphql-service.js';
import { SERVICE_TOKEN_HEADER, ServiceTrust, generateServiceKey, serviceCredential } from './service-credentials.js';
import { SubscriberTooSlow, type SubscriptionOptions } from './subscriptions.js';
import { relayedIdentity } from './subscriptions-relay.js';

// One socket of the router carries many callers' subscriptions: each runs as, and counts against,
// the caller it names; a refusal or an expiry ends that one alone; nobody else may name a caller.

const secret = 'a-test-secret-of-some-length';
const router = generateServiceKey('router');
const order = generateServiceKey('order');
const trust = new ServiceTrust([router.publicKey, order.publicKey]);
const routerCredential = serviceCredential(router.privateKey);
const orderCredential = serviceCredential(order.privateKey);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not reached within ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** Streams that say who they run for, every 50 ms, until they are ended. */
function schemaWithResolvers(): GraphQLSchema {
  const schema = buildSchema('type Query { hello: String } type Subscription { whoami: String tooSlow: Int }');
  const subscriptionType = schema.getSubscriptionType()!.getFields();
  subscriptionType.whoami!.subscribe = async function* (_root: unknown, _args: unknown, context: ServiceContext) {
    for (;;) {
      yield { whoami: `${context.viewer?.subject ?? 'nobody'} via ${context.caller ?? 'nobody'}` };
      await sleep(50);
    }
  };
  subscriptionType.tooSlow!.subscribe = async function* () {
    yield { tooSlow: 1 };
    throw new SubscriberTooSlow();
  };
  schema.getQueryType()!.getFields().hello!.resolve = () => 'hello';
  return schema;
}
const schema = schemaWithResolvers();

let service: RunningService | undefined;
const clients: Client[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map(async (client) => client.dispose())); // dispose answers void or a promise
  await service?.stop();
  service = undefined;
});

/** `serviceTrust` null: a service that trusts no other (the router's own edge). */
async function start(subscriptions: Omit<SubscriptionOptions, 'schema'> = {}, serviceTrust: ServiceTrust | null = trust) {
  service = await startGraphQLService({
    name: 'relay-test',
    port: 0,
    host: '127.0.0.1',
    apollo: { schema },
    jwtSecret: secret,
    ...(serviceTrust ? { serviceTrust } : {}),
    subscriptions: { schema, ...subscriptions },
    shutdownGraceMs: 500,
  });
  return service.url.replace('http', 'ws');
}

const tokenOf = (subject: string, expiresIn = '1h', key = secret) => signToken({ subject, role: 'customer' }, key, { expiresIn });

/** A graphql-ws client as the router's (its service credential) or a caller's own (their token). */
function connect(url: string, connectionParams: () => Promise<Record<string, unknown>>) {
  const closes: number[] = [];
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    onNonLazyError: () => {},
    connectionParams,
    on: { closed: (event) => void closes.push((event as { code: number }).code) },
  });
  clients.push(client);
  /** One subscription: what it received, and the codes of the error that ended it. */
  const subscribe = (query: string, extensions?: Record<string, unknown>) => {
    const seen = { values: [] as unknown[], codes: [] as unknown[], errors: [] as Array<Record<string, unknown>>, ended: false };
    const unsubscribe = client.subscribe(
      { query, ...(extensions ? { extensions } : {}) },
      {
        next: (result) => void seen.values.push(Object.values(result.data ?? {})[0]),
        error: (error) => {
          const errors = (Array.isArray(error) ? error : [error]) as Array<{ extensions?: Record<string, unknown> }>;
          seen.errors.push(...errors.map((e) => e.extensions ?? {}));
          seen.codes.push(...errors.map((e) => e.extensions?.code));
          seen.ended = true;
        },
        complete: () => void (seen.ended = true),
      },
    );
    return Object.assign(seen, { unsubscribe });
  };
  return { client, closes, subscribe };
}
const asRouter = (url: string) => connect(url, async () => ({ [SERVICE_TOKEN_HEADER]: await routerCredential() }));
const asCaller = (url: string, subject: string) => connect(url, async () => ({ authorization: `Bearer ${await tokenOf(subject)}` }));
const forCaller = async (subject: string, expiresIn?: string) =>
  relayedIdentity({ correlationId: `c-${subject}`, authorization: `Bearer ${await tokenOf(subject, expiresIn)}` });

describe('subscriptions relayed on one socket', () => {
  it('run as the caller each names, past the per-socket bound of a caller’s own socket', async () => {
    const url = await start({ maxPerConnection: 2 });
    const relay = asRouter(url);
    const subjects = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'];
    const watches = await Promise.all(
      subjects.map(async (subject) => relay.subscribe('subscription { whoami }', await forCaller(subject))),
    );
    await until(() => watches.every((watch) => watch.values.length > 0));
    expect(watches.map((watch) => watch.values[0])).toEqual(subjects.map((subject) => `${subject} via router`));
    expect(watches.flatMap((watch) => watch.codes)).toEqual([]);
    expect(relay.closes).toEqual([]);
  });

  it("count against each caller's own share across sockets, not the relaying socket's", async () => {
    const url = await start({ maxSubscriptionsPerCaller: 2 });
    const relay = asRouter(url);
    const alice = [relay.subscribe('subscription { whoami }', await forCaller('alice'))];
    const own = asCaller(url, 'alice').subscribe('subscription { whoami }'); // her own socket holds her second
    await until(() => alice[0]!.values.length > 0 && own.values.length > 0);
    alice.push(relay.subscribe('subscription { whoami }', await forCaller('alice')));
    const bob = [
      relay.subscribe('subscription { whoami }', await forCaller('bob')),
      relay.subscribe('subscription { whoami }', await forCaller('bob')),
    ];
    await until(() => alice[1]!.ended && bob.every((watch) => watch.values.length > 0));
    expect(alice[1]!.codes).toEqual(['TOO_MANY_SUBSCRIPTIONS']);
    expect(bob.flatMap((watch) => watch.codes)).toEqual([]);
    // The refusal ended that subscription only: the socket and alice's first go on.
    const before = alice[0]!.values.length;
    await until(() => alice[0]!.values.length > before + 2);
    expect([relay.closes, alice[0]!.ended]).toEqual([[], false]);
  });

  it('are bounded per relaying socket by a setting of their own', async () => {
    const url = await start({ maxPerRelayConnection: 3 });
    const relay = asRouter(url);
    const watches = await Promise.all(
      ['a', 'b', 'c'].map(async (subject) => relay.subscribe('subscription { whoami }', await forCaller(subject))),
    );
    await until(() => watches.every((watch) => watch.values.length > 0));
    const fourth = relay.subscribe('subscription { whoami }', await forCaller('d'));
    await until(() => fourth.ended);
    expect(fourth.codes).toEqual(['TOO_MANY_SUBSCRIPTIONS']);
    expect(relay.closes).toEqual([]);
  });

  it('refuse a forged or missing token and anything but a subscription, each alone; an expired token ends its subscription alone', async () => {
    const url = await start();
    const relay = asRouter(url);
    const alice = relay.subscribe('subscription { whoami }', await forCaller('alice'));
    const forged = relay.subscribe('subscription { whoami }', {
      authorization: `Bearer ${await tokenOf('alice', '1h', 'another-secret-of-some-length')}`,
    });
    const anonymous = relay.subscribe('subscription { whoami }', { 'x-correlation-id': 'c-1' });
    const query = relay.subscribe('{ hello }', await forCaller('alice'));
    const expiring = relay.subscribe('subscription { whoami }', await forCaller('bob', '2s'));
    await until(() => [forged, anonymous, query].every((watch) => watch.ended) && expiring.values.length > 0);
    expect([forged.codes, anonymous.codes, query.codes, forged.values, anonymous.values]).toEqual([
      ['UNAUTHENTICATED'],
      ['UNAUTHENTICATED'],
      ['BAD_REQUEST'],
      [],
      [],
    ]);
    expect(expiring.values[0]).toBe('bob via router');

    await until(() => expiring.ended, 5_000);
    expect(expiring.codes).toEqual(['UNAUTHENTICATED']);
    const before = alice.values.length;
    await until(() => alice.values.length > before + 2);
    expect([relay.closes, alice.ended, alice.codes]).toEqual([[], false, []]);
  });

  it('end alone when one falls behind, asking the relaying service to subscribe again (a caller’s own socket is closed with 1013)', async () => {
    const url = await start();
    const relay = asRouter(url);
    const alice = relay.subscribe('subscription { whoami }', await forCaller('alice'));
    const slow = relay.subscribe('subscription { tooSlow }', await forCaller('bob'));
    await until(() => slow.ended);
    expect(slow.values).toEqual([1]);
    expect(slow.errors).toEqual([{ code: 'SERVICE_UNAVAILABLE', retryAfterSeconds: 0, resubscribe: true }]);
    const before = alice.values.length;
    await until(() => alice.values.length > before + 2);
    expect(relay.closes).toEqual([]);

    const own = asCaller(url, 'bob');
    own.subscribe('subscription { tooSlow }');
    await until(() => own.closes.length > 0);
    expect(own.closes).toEqual([1013]);
  });
});

describe('who may relay', () => {
  it("accepts the router's credential only: another service's, a forged one, or one where no service is trusted is refused (4403)", async () => {
    const url = await start();
    const relay = asRouter(url);
    const watch = relay.subscribe('subscription { whoami }', await forCaller('alice'));
    const forgedKey = generateServiceKey('router');
    const forged = serviceCredential(forgedKey.privateKey);
    const outcomes = [
      connect(url, async () => ({ [SERVICE_TOKEN_HEADER]: await orderCredential() })),
      connect(url, async () => ({ [SERVICE_TOKEN_HEADER]: await forged() })),
      // A credential beside a valid customer token: the socket is the credential's, and that is refused.
      connect(url, async () => ({ [SERVICE_TOKEN_HEADER]: await forged(), authorization: `Bearer ${await tokenOf('alice')}` })),
    ];
    await until(() => outcomes.every((outcome) => outcome.closes.length > 0));
    expect(outcomes.map((outcome) => outcome.closes)).toEqual([[4403], [4403], [4403]]);
    await until(() => watch.values.length > 0);
    expect(relay.closes).toEqual([]);
    await service!.stop();

    const edge = asRouter(await start({}, null));
    await until(() => edge.closes.length > 0);
    expect(edge.closes).toEqual([4403]);
  });

  it("refuses a caller's own socket that names another caller (FORBIDDEN): nothing runs, as either of them", async () => {
    const url = await start();
    const bob = asCaller(url, 'bob');
    const pretending = bob.subscribe('subscription { whoami }', await forCaller('alice'));
    await until(() => pretending.ended);
    expect([pretending.codes, pretending.values]).toEqual([['FORBIDDEN'], []]);
    // The refusal is the subscription's, not the socket's: bob's own subscriptions still run as bob.
    const own = bob.subscribe('subscription { whoami }');
    await until(() => own.values.length > 0);
    expect(own.values[0]).toBe('bob via nobody');
    expect(bob.closes).toEqual([]);
  });

  it('shows the relaying sockets open in the counts (/readyz)', async () => {
    const url = await start();
    const relay = asRouter(url);
    const watch = relay.subscribe('subscription { whoami }', await forCaller('alice'));
    const own = asCaller(url, 'bob').subscribe('subscription { whoami }');
    await until(() => watch.values.length > 0 && own.values.length > 0);
    const readiness = await fetch(service!.url.replace('/graphql', '/readyz'));
    expect(((await readiness.json()) as { info: Record<string, number> }).info).toMatchObject({ sockets: 2, relaySockets: 1 });
  });
});
