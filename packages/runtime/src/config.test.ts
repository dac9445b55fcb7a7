import { describe, expect, it } from 'vitest';
import { DEVELOPMENT_JWT_SECRET } from './auth.js';
import { ConfigError, readServiceEnv } from './config.js';

describe('service configuration', () => {
  it('uses the development secret outside production', () => {
    expect(readServiceEnv(4001, {}, { NODE_ENV: 'development' }).jwtSecret).toBe(DEVELOPMENT_JWT_SECRET);
  });

  it('refuses to run in production without a secret of its own', () => {
    expect(() => readServiceEnv(4001, {}, { NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(() => readServiceEnv(4001, {}, { NODE_ENV: 'production', JWT_SECRET: DEVELOPMENT_JWT_SECRET })).toThrow(/JWT_SECRET/);
    expect(readServiceEnv(4001, {}, { NODE_ENV: 'production', JWT_SECRET: 'a-real-production-secret' }).jwtSecret).toBe(
      'a-real-production-secret',
    );
  });

  it('names the variable that is wrong', () => {
    expect(() => readServiceEnv(4001, {}, { PORT: 'eighty' })).toThrow(/PORT/);
  });

  it('refuses fault points in production and unknown fault points anywhere', () => {
    const production = { NODE_ENV: 'production', JWT_SECRET: 'a-real-production-secret' };
    expect(() => readServiceEnv(4001, {}, { ...production, FAULT_POINTS: 'order.after-reserve' })).toThrow(/FAULT_POINTS/);
    expect(() => readServiceEnv(4001, {}, { FAULT_POINTS: 'order.after-nothing' })).toThrow(/FAULT_POINTS/);
    expect(readServiceEnv(4001, {}, { NODE_ENV: 'test', FAULT_POINTS: 'order.after-reserve' }).port).toBe(4001);
  });
});
