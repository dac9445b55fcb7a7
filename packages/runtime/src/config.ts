import { z } from 'zod';
import { DEFAULT_TOKEN_MAX_AGE_SECONDS, type UserTokenKeys } from './auth.js';
import { privateServiceKey, publicServiceKeys, type PrivateServiceKey, type PublicServiceKey } from './service-credentials.js';
import { FAULT_POINTS } from './fault-points.js';

/** Bad configuration: a message that says which variable is wrong and how. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads and validates environment variables once, at start-up. */
export function readEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `  - ${issue.path.join('.') || '(env)'}: ${issue.message}`);
  throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`);
}

/** A variable holding JSON, validated by `schema`. */
const json = <T extends z.ZodTypeAny>(schema: T) =>
  z
    .string()
    .transform((text, context) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        context.addIssue({ code: 'custom', message: 'must be JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema);

export const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

/** Settings every service shares. */
export const sharedEnv = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  /** The users' token secret. `pnpm start` makes one per data folder; nothing has a default. */
  JWT_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  /** The secret before the last rotation: its tokens stay valid until they expire. */
  JWT_PREVIOUS_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  JWT_MAX_AGE_SECONDS: z.coerce.number().int().min(60).default(DEFAULT_TOKEN_MAX_AGE_SECONDS),
  /** This service's own Ed25519 key (a private JWK) for its calls to other services: router and order. */
  SERVICE_SIGNING_KEY: json(privateServiceKey).optional(),
  /** The public keys (JWKs) of the services allowed to call this one's internal operations. */
  SERVICE_TRUSTED_KEYS: json(publicServiceKeys).default([]),
  /** The address to listen on: every interface in a pod; loopback under `pnpm start`. */
  HOST: z.string().min(1).default('0.0.0.0'),
  NATS_URL: z.string().default('nats://127.0.0.1:4222'),
  /** The context's own NATS user: its permissions say which subjects it may publish and read. */
  NATS_USER: z.string().min(1).optional(),
  NATS_PASSWORD: z.string().min(1).optional(),
  /** Subject prefix and stream name: configuration, so that test runs never share them. */
  EVENT_PREFIX: z
    .string()
    .regex(/^[\w-]+$/)
    .default('bookshop'),
  EVENT_STREAM: z
    .string()
    .regex(/^[\w-]+$/)
    .default('BOOKSHOP'),
  /** A consumer that died holding an event gets it delivered again after this long. */
  EVENT_ACK_WAIT_MS: z.coerce.number().int().min(1_000).default(30_000),
  /** Events a consumer applies in one transaction at most (those waiting when it is free): 1 applies each alone. */
  EVENT_BATCH_SIZE: z.coerce.number().int().min(1).max(500).default(64),
  /** While events flow (ten or more batches a second), how long a consumer waits for a batch to fill; 0 never waits. */
  EVENT_BATCH_LINGER_MS: z.coerce.number().int().min(0).max(1_000).default(25),
  /** Copies of the event stream kept by a NATS cluster (at most its size). */
  EVENT_STREAM_REPLICAS: z.coerce.number().int().min(1).max(5).default(1),
  /** How long a draining service waits for in-flight requests before it closes them. */
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(10_000),
  /**
   * How long a stopping service keeps accepting connections after it turned unready, so a load
   * balancer that polls /readyz stops sending first. On Kubernetes the preStop pause does this.
   */
  SHUTDOWN_DELAY_MS: z.coerce.number().int().min(0).default(0),
  /** /healthz fails for LIVENESS_STALL_WINDOW_MS after the event loop was stuck longer than this. */
  LIVENESS_MAX_EVENT_LOOP_DELAY_MS: z.coerce.number().int().min(100).default(3_000),
  LIVENESS_STALL_WINDOW_MS: z.coerce.number().int().min(100).default(10_000),
  /** Test-only fault points (fault-points.ts). */
  FAULT_POINTS: z
    .string()
    .default('')
    .refine((value) => value.split(',').every((name) => !name.trim() || (FAULT_POINTS as readonly string[]).includes(name.trim())), {
      message: `must list only: ${FAULT_POINTS.join(', ')}`,
    }),
});
export type SharedEnv = z.infer<typeof sharedEnv>;

/**
 * The users' token keys; production wants a long secret (32 characters or more). A tool that
 * serves nothing (a rebuild, a replay) may run without one; a server refuses to start without it
 * (requireUserTokenKeys).
 */
function userTokenKeys(env: SharedEnv): UserTokenKeys {
  if (env.NODE_ENV === 'production' && (env.JWT_SECRET?.length ?? 0) < 32) {
    throw new ConfigError('Invalid configuration:\n  - JWT_SECRET: must be set, at least 32 characters, when NODE_ENV=production');
  }
  const secrets = [env.JWT_SECRET, env.JWT_PREVIOUS_SECRET].filter((secret): secret is string => Boolean(secret));
  return { secrets, maxAgeSeconds: env.JWT_MAX_AGE_SECONDS };
}

/** Refuses to serve without a users' secret: there is no default that anyone could know. */
export function requireUserTokenKeys(keys: string | UserTokenKeys): void {
  if (typeof keys === 'string' ? keys.length === 0 : keys.secrets.length === 0) {
    throw new ConfigError(
      'Invalid configuration:\n  - JWT_SECRET: must be set (pnpm start makes one per data folder; a cluster keeps it in a Secret)',
    );
  }
}

function refuseFaultPointsInProduction(env: SharedEnv): void {
  if (env.NODE_ENV === 'production' && env.FAULT_POINTS.trim()) {
    throw new ConfigError('Invalid configuration:\n  - FAULT_POINTS: test-only; must be empty when NODE_ENV=production');
  }
}

/** Runs a service's main; bad configuration ends the process with a clear message, not a stack. */
export async function runMain(main: () => Promise<unknown>): Promise<void> {
  try {
    await main();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  }
}

/** What every service's start needs, whatever else it reads. */
export interface ServiceConfig {
  port: number;
  production: boolean;
  events: {
    url: string;
    prefix: string;
    stream: string;
    ackWaitMs: number;
    batchSize: number;
    batchLingerMs: number;
    replicas: number;
    user?: string;
    password?: string;
  };
  host: string;
  /** What user tokens are verified with: the current and previous secrets, the maximum age. */
  userTokens: UserTokenKeys;
  /** This service's key for calling others (if it calls any), and the keys of those it trusts. */
  serviceKeys: { signing?: PrivateServiceKey; trusted: PublicServiceKey[] };
  shutdownGraceMs: number;
  shutdownDelayMs: number;
  liveness: { maxEventLoopDelayMs: number; stallWindowMs: number };
}

/** Reads the shared settings plus a service's own (`extra`), validated together. */
export function readServiceEnv<S extends z.ZodRawShape>(
  defaultPort: number,
  extra: S,
  env: NodeJS.ProcessEnv = process.env,
): ServiceConfig & { env: z.infer<z.ZodObject<S>> } {
  const shared = readEnv(sharedEnv.extend({ PORT: port(defaultPort) }), env);
  const own = readEnv(z.object(extra), env);
  refuseFaultPointsInProduction(shared);
  return {
    port: shared.PORT,
    production: shared.NODE_ENV === 'production',
    events: {
      url: shared.NATS_URL,
      prefix: shared.EVENT_PREFIX,
      stream: shared.EVENT_STREAM,
      ackWaitMs: shared.EVENT_ACK_WAIT_MS,
      batchSize: shared.EVENT_BATCH_SIZE,
      batchLingerMs: shared.EVENT_BATCH_LINGER_MS,
      replicas: shared.EVENT_STREAM_REPLICAS,
      ...(shared.NATS_USER ? { user: shared.NATS_USER, password: shared.NATS_PASSWORD ?? '' } : {}),
    },
    host: shared.HOST,
    userTokens: userTokenKeys(shared),
    serviceKeys: { ...(shared.SERVICE_SIGNING_KEY ? { signing: shared.SERVICE_SIGNING_KEY } : {}), trusted: shared.SERVICE_TRUSTED_KEYS },
    shutdownGraceMs: shared.SHUTDOWN_GRACE_MS,
    shutdownDelayMs: shared.SHUTDOWN_DELAY_MS,
    liveness: { maxEventLoopDelayMs: shared.LIVENESS_MAX_EVENT_LOOP_DELAY_MS, stallWindowMs: shared.LIVENESS_STALL_WINDOW_MS },
    env: own,
  };
}

/** The service's own signing key, which a service that calls others cannot start without. */
export function requireSigningKey(config: Pick<ServiceConfig, 'serviceKeys'>, why: string): PrivateServiceKey {
  if (!config.serviceKeys.signing) {
    throw new ConfigError(`Invalid configuration:\n  - SERVICE_SIGNING_KEY: must be set: ${why} (pnpm start makes one per data folder)`);
  }
  return config.serviceKeys.signing;
}
