import { describe, expect, it } from 'vitest';
import { requireRole, signToken, verifyToken } from './auth.js';

const secret = 'a-secret-of-sixteen-or-more';

describe('bearer tokens', () => {
  it('round-trips subject and role', async () => {
    const token = await signToken({ subject: 'alice', role: 'customer' }, secret);
    expect(await verifyToken(token, secret)).toMatchObject({ subject: 'alice', role: 'customer' });
  });

  it('refuses a token signed with another secret, and an expired one, as UNAUTHENTICATED', async () => {
    const forged = await signToken({ subject: 'alice', role: 'staff' }, 'another-secret-entirely');
    await expect(verifyToken(forged, secret)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    const expired = await signToken({ subject: 'alice', role: 'staff' }, secret, { expiresIn: '-1s' });
    await expect(verifyToken(expired, secret)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});

describe('requireRole', () => {
  it('refuses no caller with UNAUTHENTICATED and the wrong role with FORBIDDEN', () => {
    expect(() => requireRole(null, 'staff')).toThrow(expect.objectContaining({ code: 'UNAUTHENTICATED' }));
    expect(() => requireRole({ subject: 'a', role: 'customer' }, 'staff')).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
    expect(requireRole({ subject: 's', role: 'staff' }, 'staff').subject).toBe('s');
  });
});
