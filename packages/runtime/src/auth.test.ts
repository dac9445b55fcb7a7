import { createSecretKey } from 'node:crypto';
import { SignJWT, UnsecuredJWT } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { keyIdOf, requireRole, signToken, verifyToken } from './auth.js';

const secret = 'a-secret-of-sixteen-or-more';
const refused = { code: 'UNAUTHENTICATED' };

/** A token made by hand, as an attacker (or a careless tool) would. */
const handMade = (claims: { iss?: string; aud?: string; iatSecondsAgo?: number; lifeSeconds?: number; kid?: string }, key = secret) => {
  const now = Math.floor(Date.now() / 1000);
  const issuedAt = now - (claims.iatSecondsAgo ?? 0);
  return new SignJWT({ role: 'staff' })
    .setProtectedHeader({ alg: 'HS256', kid: claims.kid ?? keyIdOf(key) })
    .setSubject('mallory')
    .setIssuer(claims.iss ?? 'bookshop')
    .setAudience(claims.aud ?? 'bookshop')
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + (claims.lifeSeconds ?? 3600))
    .sign(createSecretKey(Buffer.from(key)));
};

describe('bearer tokens', () => {
  it('round-trips subject and role', async () => {
    const token = await signToken({ subject: 'alice', role: 'customer' }, secret);
    expect(await verifyToken(token, secret)).toMatchObject({ subject: 'alice', role: 'customer' });
  });

  it('refuses a token signed with another secret, and an expired one, as UNAUTHENTICATED', async () => {
    const forged = await signToken({ subject: 'alice', role: 'staff' }, 'another-secret-entirely');
    await expect(verifyToken(forged, secret)).rejects.toMatchObject(refused);
    // The right key id, the wrong key: a forger who guessed the id still fails the signature.
    await expect(verifyToken(await handMade({ kid: keyIdOf(secret) }, 'another-secret-entirely'), secret)).rejects.toMatchObject(refused);
    const expired = await signToken({ subject: 'alice', role: 'staff' }, secret, { expiresIn: '-1m' });
    await expect(verifyToken(expired, secret)).rejects.toMatchObject(refused);
  });

  it("refuses alg none, another audience or issuer, and a role that is not a user's", async () => {
    const unsigned = new UnsecuredJWT({ role: 'staff' })
      .setSubject('mallory')
      .setIssuer('bookshop')
      .setAudience('bookshop')
      .setIssuedAt()
      .setExpirationTime('1h')
      .encode();
    await expect(verifyToken(unsigned, secret)).rejects.toMatchObject(refused);
    await expect(verifyToken(await handMade({ aud: 'another-shop' }), secret)).rejects.toMatchObject(refused);
    await expect(verifyToken(await handMade({ iss: 'someone-else' }), secret)).rejects.toMatchObject(refused);
    const service = await new SignJWT({ role: 'service' })
      .setProtectedHeader({ alg: 'HS256', kid: keyIdOf(secret) })
      .setSubject('order')
      .setIssuer('bookshop')
      .setAudience('bookshop')
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(createSecretKey(Buffer.from(secret)));
    await expect(verifyToken(service, secret)).rejects.toMatchObject(refused);
  });

  it('refuses a token older than the maximum age, or claiming a longer life, even when not expired', async () => {
    const hundredYears = await signToken({ subject: 'mallory', role: 'staff' }, secret, { expiresIn: '100y' });
    await expect(verifyToken(hundredYears, { secrets: [secret], maxAgeSeconds: 86_400 })).rejects.toMatchObject(refused);
    const old = await handMade({ iatSecondsAgo: 2 * 86_400, lifeSeconds: 3 * 86_400 });
    await expect(verifyToken(old, { secrets: [secret], maxAgeSeconds: 86_400 })).rejects.toMatchObject(refused);
    const fresh = await handMade({ lifeSeconds: 3_600 });
    expect(await verifyToken(fresh, { secrets: [secret], maxAgeSeconds: 86_400 })).toMatchObject({ subject: 'mallory' });
  });

  it('accepts tokens of the previous and the new secret during a rotation, and only the new one after it', async () => {
    const next = 'the-secret-after-the-rotation';
    const before = await signToken({ subject: 'alice', role: 'customer' }, secret);
    const after = await signToken({ subject: 'bob', role: 'customer' }, next);
    const overlap = { secrets: [next, secret] };
    expect(await verifyToken(before, overlap)).toMatchObject({ subject: 'alice' });
    expect(await verifyToken(after, overlap)).toMatchObject({ subject: 'bob' });
    await expect(verifyToken(before, { secrets: [next] })).rejects.toMatchObject(refused);
  });
});

describe('remembered tokens', () => {
  afterEach(() => vi.useRealTimers());

  it('a token verified once is refused once it expires, though it was remembered', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = Date.now();
    const token = await signToken({ subject: 'alice', role: 'customer' }, secret, { expiresIn: '60s' });
    expect(await verifyToken(token, secret)).toMatchObject({ subject: 'alice' });
    vi.setSystemTime(start + 59_000);
    expect(await verifyToken(token, secret)).toMatchObject({ subject: 'alice' });
    vi.setSystemTime(start + 70_000); // past its expiry and the 5 s allowed for clock skew
    await expect(verifyToken(token, secret)).rejects.toMatchObject(refused);
  });
});

describe('requireRole', () => {
  it('refuses no caller with UNAUTHENTICATED and the wrong role with FORBIDDEN', () => {
    expect(() => requireRole(null, 'staff')).toThrow(expect.objectContaining({ code: 'UNAUTHENTICATED' }));
    expect(() => requireRole({ subject: 'a', role: 'customer' }, 'staff')).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
    expect(requireRole({ subject: 's', role: 'staff' }, 'staff').subject).toBe('s');
  });
});
