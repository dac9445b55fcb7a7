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
});
