import { z } from 'zod';
import { DEVELOPMENT_JWT_SECRET } from './auth.js';
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

export const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

/** Settings every service shares. */
export const sharedEnv = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  JWT_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  NATS_URL: z.string().default('nats://127.0.0.1:4222'),
  /** Subject prefix and stream name: configuration, so that test runs never share them. */
  EVENT_PREFIX: z.string().regex(/^[\w-]+$/).default('bookshop'),
  EVENT_STREAM: z.string().regex(/^[\w-]+$/).default('BOOKSHOP'),
  /** A consumer that died holding an event gets it delivered again after this long. */
  EVENT_ACK_WAIT_MS: z.coerce.number().int().min(1_000).default(30_000),
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

/** The signing secret; the development default is refused in production. */
export function jwtSecret(env: SharedEnv): string {
  if (env.NODE_ENV === 'production' && (!env.JWT_SECRET || env.JWT_SECRET === DEVELOPMENT_JWT_SECRET)) {
    throw new ConfigError(
      'Invalid configuration:\n  - JWT_SECRET: must be set (and not the development default) when NODE_ENV=production',
    );
  }
  return env.JWT_SECRET ?? DEVELOPMENT_JWT_SECRET;
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
  events: { url: string; prefix: string; stream: string; ackWaitMs: number; replicas: number };
  jwtSecret: string;
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
    events: { url: shared.NATS_URL, prefix: shared.EVENT_PREFIX, stream: shared.EVENT_STREAM, ackWaitMs: shared.EVENT_ACK_WAIT_MS, replicas: shared.EVENT_STREAM_REPLICAS },
    jwtSecret: jwtSecret(shared),
    shutdownGraceMs: shared.SHUTDOWN_GRACE_MS,
    shutdownDelayMs: shared.SHUTDOWN_DELAY_MS,
    liveness: { maxEventLoopDelayMs: shared.LIVENESS_MAX_EVENT_LOOP_DELAY_MS, stallWindowMs: shared.LIVENESS_STALL_WINDOW_MS },
    env: own,
  };
}
