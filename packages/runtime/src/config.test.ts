import { describe, expect, it } from 'vitest';
import { ConfigError, readServiceEnv, requireSigningKey, requireUserTokenKeys } from './config.js';
import { generateServiceKey } from './service-credentials.js';

const secret = 'a-secret-of-sixteen-or-more';
const productionSecret = 'a-real-production-secret-of-32-characters';

describe('service configuration', () => {
  it('has no secret of its own: a server refuses to start without JWT_SECRET, in development too', () => {
    expect(() => requireUserTokenKeys(readServiceEnv(4001, {}, { NODE_ENV: 'development' }).userTokens)).toThrow(/JWT_SECRET: must be set/);
    expect(readServiceEnv(4001, {}, { NODE_ENV: 'development', JWT_SECRET: secret }).userTokens.secrets).toEqual([secret]);
  });

  it('refuses to run in production with a short secret', () => {
    expect(() => readServiceEnv(4001, {}, { NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(() => readServiceEnv(4001, {}, { NODE_ENV: 'production', JWT_SECRET: secret })).toThrow(/at least 32/);
    expect(readServiceEnv(4001, {}, { NODE_ENV: 'production', JWT_SECRET: productionSecret }).userTokens.secrets).toEqual([
      productionSecret,
    ]);
  });

  it('accepts the previous secret beside the current one during a rotation', () => {
    const config = readServiceEnv(
      4001,
      {},
      { JWT_SECRET: 'the-new-secret-after-rotation', JWT_PREVIOUS_SECRET: secret, JWT_MAX_AGE_SECONDS: '3600' },
    );
    expect(config.userTokens).toEqual({ secrets: ['the-new-secret-after-rotation', secret], maxAgeSeconds: 3600 });
  });

  it('reads the service keys as JWKs and refuses anything else, naming the variable', () => {
    const { privateKey, publicKey } = generateServiceKey('order');
    const config = readServiceEnv(
      4001,
      {},
      { JWT_SECRET: secret, SERVICE_SIGNING_KEY: JSON.stringify(privateKey), SERVICE_TRUSTED_KEYS: JSON.stringify([publicKey]) },
    );
    expect(config.serviceKeys).toEqual({ signing: privateKey, trusted: [publicKey] });
    expect(() => readServiceEnv(4001, {}, { JWT_SECRET: secret, SERVICE_TRUSTED_KEYS: 'not json' })).toThrow(/SERVICE_TRUSTED_KEYS/);
    expect(() => readServiceEnv(4001, {}, { JWT_SECRET: secret, SERVICE_SIGNING_KEY: JSON.stringify(publicKey) })).toThrow(
      /SERVICE_SIGNING_KEY/,
    );
    expect(() => requireSigningKey(readServiceEnv(4001, {}, { JWT_SECRET: secret }), 'it calls book')).toThrow(
      /SERVICE_SIGNING_KEY: must be set: it calls book/,
    );
  });

  it('names the variable that is wrong', () => {
    expect(() => readServiceEnv(4001, {}, { JWT_SECRET: secret, PORT: 'eighty' })).toThrow(/PORT/);
  });

  it('refuses fault points in production and unknown fault points anywhere', () => {
    const production = { NODE_ENV: 'production', JWT_SECRET: productionSecret };
    expect(() => readServiceEnv(4001, {}, { ...production, FAULT_POINTS: 'order.after-reserve' })).toThrow(/FAULT_POINTS/);
    expect(() => readServiceEnv(4001, {}, { JWT_SECRET: secret, FAULT_POINTS: 'order.after-nothing' })).toThrow(/FAULT_POINTS/);
    expect(readServiceEnv(4001, {}, { NODE_ENV: 'test', JWT_SECRET: secret, FAULT_POINTS: 'order.after-reserve' }).port).toBe(4001);
  });
});
