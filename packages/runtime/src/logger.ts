import { pino } from 'pino';
import { currentRequest } from './request-context.js';

/**
 * Structured JSON logs; every line written while a request is handled carries its
 * correlation id, without passing a logger around.
 */
export const logger = pino({
  level: process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'warn' : 'info'),
  base: { service: process.env.SERVICE_NAME },
  mixin() {
    const request = currentRequest();
    return request ? { correlationId: request.correlationId } : {};
  },
});

export type Logger = typeof logger;
