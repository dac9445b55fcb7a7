import { createPrivateKey } from 'node:crypto';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { signToken } from './auth.js';
import {
  ServiceTrust,
  generateServiceKey,
  requireCaller,
  serviceCredential,
  serviceKeyFromSeed,
  type PrivateServiceKey,
} from './service-credentials.js';

const router = generateServiceKey('router');
const order = generateServiceKey('order');
const trust = new ServiceTrust([router.publicKey, order.publicKey]);
const refused = { code: 'UNAUTHENTICATED' };

const handMade = (
  key: PrivateServiceKey,
  claims: { sub?: string; iatSecondsAgo?: number; lifeSeconds?: number; aud?: string; kid?: string },
) => {
  const issuedAt = Math.floor(Date.now() / 1000) - (claims.iatSecondsAgo ?? 0);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'EdDSA', kid: claims.kid ?? key.kid })
    .setSubject(claims.sub ?? key.kid.split('.')[0]!)
    .setIssuer('bookshop')
    .setAudience(claims.aud ?? 'bookshop-services')
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + (claims.lifeSeconds ?? 300))
    .sign(createPrivateKey({ key, format: 'jwk' }));
};

describe('service credentials', () => {
  it('name the calling service', async () => {
    expect(await trust.callerOf(await serviceCredential(order.privateKey)())).toBe('order');
    expect(await trust.callerOf(await serviceCredential(router.privateKey)())).toBe('router');
    expect(await trust.callerOf(undefined)).toBeNull();
  });

  it("cannot be minted by the router for another service: the subject must be the key's owner", async () => {
    await expect(trust.callerOf(await handMade(router.privateKey, { sub: 'order' }))).rejects.toMatchObject(refused);
    // Nor by claiming order's key id while signing with the router's key.
    await expect(trust.callerOf(await handMade(router.privateKey, { sub: 'order', kid: order.privateKey.kid }))).rejects.toMatchObject(
      refused,
    );
  });

  it('refuse an unknown key, another audience, a user token, and a credential too old or too long-lived', async () => {
    const stranger = generateServiceKey('order');
    await expect(trust.callerOf(await serviceCredential(stranger.privateKey)())).rejects.toMatchObject(refused);
    await expect(trust.callerOf(await handMade(order.privateKey, { aud: 'bookshop' }))).rejects.toMatchObject(refused);
    await expect(trust.callerOf(await signToken({ subject: 'order', role: 'staff' }, 'a-secret-of-sixteen-or-more'))).rejects.toMatchObject(
      refused,
    );
    await expect(trust.callerOf(await handMade(order.privateKey, { iatSecondsAgo: 3_600, lifeSeconds: 7_200 }))).rejects.toMatchObject(
      refused,
    );
    await expect(trust.callerOf(await handMade(order.privateKey, { lifeSeconds: 86_400 }))).rejects.toMatchObject(refused);
  });

  it('rotate by key id: old and new keys are both accepted while both are trusted', async () => {
    const next = generateServiceKey('order');
    const overlap = new ServiceTrust([order.publicKey, next.publicKey]);
    expect(await overlap.callerOf(await serviceCredential(order.privateKey)())).toBe('order');
    expect(await overlap.callerOf(await serviceCredential(next.privateKey)())).toBe('order');
    const after = new ServiceTrust([next.publicKey]);
    await expect(after.callerOf(await serviceCredential(order.privateKey)())).rejects.toMatchObject(refused);
  });

  it('from a seed are the same keys every time (tests), and differ per seed', () => {
    expect(serviceKeyFromSeed('router', 'a').privateKey).toEqual(serviceKeyFromSeed('router', 'a').privateKey);
    expect(serviceKeyFromSeed('router', 'a').publicKey.x).not.toBe(serviceKeyFromSeed('router', 'b').publicKey.x);
  });

  it('requireCaller lets only the named services through', () => {
    expect(requireCaller('order', 'order')).toBe('order');
    expect(() => requireCaller('router', 'order')).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
    expect(() => requireCaller(null, 'order')).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
  });
});
