import { createHash, createSecretKey, type KeyObject } from 'node:crypto';
import { SignJWT, decodeProtectedHeader, jwtVerify, errors as joseErrors } from 'jose';
import { DomainError } from './errors.js';

// Services are not users: they prove who they are with their own credential (service-credentials.ts).
export const ROLES = ['customer', 'staff', 'courier'] as const;
export type Role = (typeof ROLES)[number];

/** The authenticated caller of a request. */
export interface Viewer {
  subject: string;
  role: Role;
}

export const TOKEN_ISSUER = 'bookshop';
export const TOKEN_AUDIENCE = 'bookshop';
/** A user token lives at most this long (`pnpm -s token` issues 24 h); an older one is refused. */
export const DEFAULT_TOKEN_MAX_AGE_SECONDS = 24 * 3600;
// Clocks of different machines disagree a little: an iat a second in the future is not a forgery.
const CLOCK_SKEW_SECONDS = 5;

/**
 * A secret's key id: a token names the key that signed it, so a service that trusts the current
 * and the previous secret (a rotation's overlap) picks the right one. Derived, so it never needs
 * configuring, and a hash, so it tells nothing about the secret.
 */
export function keyIdOf(secret: string): string {
  // Asked on every verification, for each secret held: hashed once per secret, not per request.
  let id = keyIds.get(secret);
  if (!id) keyIds.set(secret, (id = `hs256-${createHash('sha256').update(secret).digest('hex').slice(0, 12)}`));
  return id;
}
const keyIds = new Map<string, string>();

// One key object per secret: importing the key again on every request costs CPU on every hop.
const keys = new Map<string, KeyObject>();
const encode = (secret: string): KeyObject => {
  let key = keys.get(secret);
  if (!key) keys.set(secret, (key = createSecretKey(Buffer.from(secret, 'utf8'))));
  return key;
};

export async function signToken(viewer: Viewer, secret: string, options: { expiresIn?: string } = {}): Promise<string> {
  return new SignJWT({ role: viewer.role })
    .setProtectedHeader({ alg: 'HS256', kid: keyIdOf(secret) })
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

/** The secrets a service accepts user tokens from: the current one, and the previous one during a rotation. */
export interface UserTokenKeys {
  secrets: readonly string[];
  maxAgeSeconds?: number;
}

interface RememberedToken {
  verified: VerifiedToken;
  validUntilMs: number;
}

/**
 * Tokens verified already, per set of accepted secrets, until they stop being valid: the router and
 * every subgraph verify the caller's token on every hop, and a client sends the same one for hours.
 * A rotation changes the set, so a token of a secret no longer accepted is verified (and refused) again.
 */
const remembered = new Map<string, Map<string, RememberedToken>>();
const MAX_REMEMBERED_TOKENS = 10_000;

/**
 * Verifies a bearer token; any flaw is an UNAUTHENTICATED refusal: another algorithm (`none`
 * included), an unknown key id, another issuer or audience, expired, or older than the maximum age
 * (a token minted for a hundred years is refused at its first day's end).
 */
export async function verifyToken(token: string, keys: string | UserTokenKeys): Promise<VerifiedToken> {
  const { secrets, maxAgeSeconds = DEFAULT_TOKEN_MAX_AGE_SECONDS } = typeof keys === 'string' ? { secrets: [keys] } : keys;
  const setKey = `${maxAgeSeconds}:${secrets.map(keyIdOf).join(',')}`;
  let tokens = remembered.get(setKey);
  if (!tokens) remembered.set(setKey, (tokens = new Map()));
  const known = tokens.get(token);
  if (known && Date.now() < known.validUntilMs) return known.verified;
  const fresh = await verifySignedToken(token, secrets, maxAgeSeconds);
  if (tokens.size >= MAX_REMEMBERED_TOKENS) tokens.delete(tokens.keys().next().value!);
  tokens.set(token, fresh);
  return fresh.verified;
}

/** Verifies the signature and claims of a token (verifyToken remembers the answer). */
async function verifySignedToken(token: string, secrets: readonly string[], maxAgeSeconds: number): Promise<RememberedToken> {
  try {
    const { kid } = decodeProtectedHeader(token);
    const secret = secrets.find((candidate) => keyIdOf(candidate) === kid);
    if (!secret) throw new DomainError('UNAUTHENTICATED', 'Your token was signed with a key this shop does not know. Get a new one.');
    const { payload } = await jwtVerify(token, encode(secret), {
      algorithms: ['HS256'],
      issuer: TOKEN_ISSUER,
      audience: TOKEN_AUDIENCE,
      requiredClaims: ['sub', 'exp', 'iat'],
      maxTokenAge: maxAgeSeconds + CLOCK_SKEW_SECONDS,
      clockTolerance: CLOCK_SKEW_SECONDS,
    });
    if (payload.exp! - payload.iat! > maxAgeSeconds + CLOCK_SKEW_SECONDS) {
      throw new DomainError('UNAUTHENTICATED', `Your token claims a life longer than ${maxAgeSeconds} s. Get a new one.`);
    }
    const role = payload.role;
    // A subject is stored with orders and carried in events, which bound it (200 characters).
    if (payload.sub && payload.sub.length > 200)
      throw new DomainError('UNAUTHENTICATED', 'The token names a subject longer than 200 characters.');
    if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role) || !payload.sub) {
      throw new DomainError('UNAUTHENTICATED', 'The token names no known role.');
    }
    const verified = { subject: payload.sub, role: role as Role, expiresAt: new Date(payload.exp! * 1000) };
    // Valid as long as both its expiry and the maximum age allow (no clock tolerance: a remembered token ends early, not late).
    return { verified, validUntilMs: Math.min(payload.exp!, payload.iat! + maxAgeSeconds + CLOCK_SKEW_SECONDS) * 1000 };
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
