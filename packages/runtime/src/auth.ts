import { createSecretKey, type KeyObject } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { DomainError } from './errors.js';

export const ROLES = ['customer', 'staff', 'courier', 'service'] as const;
export type Role = (typeof ROLES)[number];

/** The authenticated caller of a request. */
export interface Viewer {
  subject: string;
  role: Role;
}

export const TOKEN_ISSUER = 'bookshop';
export const TOKEN_AUDIENCE = 'bookshop';
export const TOKEN_KEY_ID = 'bookshop-hs256-1';
/** Used when JWT_SECRET is unset. Fine on a laptop; refused when NODE_ENV=production. */
export const DEVELOPMENT_JWT_SECRET = 'bookshop-development-secret-do-not-use-in-production';

// One key object per secret: importing the key again on every request costs CPU on every hop.
const keys = new Map<string, KeyObject>();
const encode = (secret: string): KeyObject => {
  let key = keys.get(secret);
  if (!key) keys.set(secret, (key = createSecretKey(Buffer.from(secret, 'utf8'))));
  return key;
};

export async function signToken(
  viewer: Viewer,
  secret: string,
  options: { expiresIn?: string } = {},
): Promise<string> {
  return new SignJWT({ role: viewer.role })
    .setProtectedHeader({ alg: 'HS256', kid: TOKEN_KEY_ID })
    .setSubject(viewer.subject)
    .setIssuer(TOKEN_ISSUER)
    .setAudience(TOKEN_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '24h')
    .sign(encode(secret));
}

export interface VerifiedToken extends Viewer {
  expiresAt: Date;
}

/** Verifies a bearer token; any flaw is an UNAUTHENTICATED refusal. */
export async function verifyToken(token: string, secret: string): Promise<VerifiedToken> {
  try {
    const { payload } = await jwtVerify(token, encode(secret), {
      algorithms: ['HS256'],
      issuer: TOKEN_ISSUER,
      audience: TOKEN_AUDIENCE,
      requiredClaims: ['sub', 'exp'],
    });
    const role = payload.role;
    if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role) || !payload.sub) {
      throw new DomainError('UNAUTHENTICATED', 'The token names no known role.');
    }
    return { subject: payload.sub, role: role as Role, expiresAt: new Date((payload.exp ?? 0) * 1000) };
  } catch (error) {
    if (error instanceof DomainError) throw error;
    const message =
      error instanceof joseErrors.JWTExpired
        ? 'Your token has expired. Get a new one and try again.'
        : 'Your token is not valid. Get a new one with `pnpm -s token <role> <subject>`.';
    throw new DomainError('UNAUTHENTICATED', message, {}, { cause: error });
  }
}

/** The token in an `Authorization: Bearer …` header, or undefined when there is none. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw new DomainError('UNAUTHENTICATED', 'The Authorization header must be "Bearer <token>".');
  return match[1];
}

/** The caller, or UNAUTHENTICATED / FORBIDDEN when they may not do this. */
export function requireRole(viewer: Viewer | null, ...roles: Role[]): Viewer {
  if (!viewer) throw new DomainError('UNAUTHENTICATED', 'Sign in first: send a bearer token.');
  if (!roles.includes(viewer.role)) {
    throw new DomainError('FORBIDDEN', `This needs the role ${roles.join(' or ')}; you are ${viewer.role}.`);
  }
  return viewer;
}

/**
 * A service's own token for calls to other services (role `service`), minted on first use and
 * renewed well before it expires.
 */
export function serviceToken(service: string, secret: string): () => Promise<string> {
  const lifetimeSeconds = 3600;
  let current: { token: string; renewAt: number } | undefined;
  return async () => {
    if (!current || Date.now() >= current.renewAt) {
      const token = await signToken({ subject: service, role: 'service' }, secret, { expiresIn: `${lifetimeSeconds}s` });
      current = { token, renewAt: Date.now() + (lifetimeSeconds / 2) * 1000 };
    }
    return current.token;
  };
}
