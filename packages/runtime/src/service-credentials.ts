import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { SignJWT, decodeProtectedHeader, jwtVerify } from 'jose';
import { z } from 'zod';
import { DomainError } from './errors.js';

/**
 * How one service proves to another that it is calling (the router's entity fetches, order's calls
 * to book and delivery). Each calling service signs with its own Ed25519 private key; every service
 * holds only the public keys it trusts. So no service — not the router, which faces the internet —
 * holds a key that could mint another's credential, and none of them can mint a customer's token
 * (that key is the users' HS256 secret, a different one).
 *
 * A key's `kid` is `<service>.<label>`: it names its owner, and a credential is accepted only when
 * its subject is that owner. Rotation: trust the new public key, switch the caller to the new
 * private key, stop trusting the old one once its credentials have expired (SERVICE_TOKEN_MAX_AGE).
 */

/** The header a service's credential travels in, beside the end user's `authorization`. */
export const SERVICE_TOKEN_HEADER = 'x-service-token';
const AUDIENCE = 'bookshop-services';
const ISSUER = 'bookshop';
/** A credential lives this long; verifiers refuse any that claims a longer life or is older. */
export const SERVICE_TOKEN_MAX_AGE_SECONDS = 600;
const CLOCK_SKEW_SECONDS = 5;

const publicJwk = z.object({
  kty: z.literal('OKP'),
  crv: z.literal('Ed25519'),
  x: z.string().min(1),
  kid: z.string().regex(/^[a-z]+\.[\w-]+$/),
});
const privateJwk = publicJwk.extend({ d: z.string().min(1) });
export type PublicServiceKey = z.infer<typeof publicJwk>;
export type PrivateServiceKey = z.infer<typeof privateJwk>;
export const publicServiceKeys = z.array(publicJwk);
export const privateServiceKey = privateJwk;

const ownerOf = (kid: string) => kid.slice(0, kid.indexOf('.'));

/** A new key pair for `service` (pnpm start, a cluster's set-up script, tests). */
export function generateServiceKey(service: string, label = randomLabel()): { privateKey: PrivateServiceKey; publicKey: PublicServiceKey } {
  const { privateKey } = generateKeyPairSync('ed25519');
  return keyPairOf(privateKey, `${service}.${label}`);
}

/**
 * The key pair of a fixed 32-byte seed: the same on every run and in every process (tests, whose
 * test runner and shop processes must agree without passing keys around). Never for a real shop.
 */
export function serviceKeyFromSeed(service: string, seed: string): { privateKey: PrivateServiceKey; publicKey: PublicServiceKey } {
  const raw = createHash('sha256').update(seed).digest();
  const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), raw]);
  return keyPairOf(
    createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }),
    `${service}.${createHash('sha256').update(seed).digest('hex').slice(0, 8)}`,
  );
}

function keyPairOf(privateKey: KeyObject, kid: string) {
  const jwk = privateKey.export({ format: 'jwk' }) as { x: string; d: string };
  const pub: PublicServiceKey = { kty: 'OKP', crv: 'Ed25519', x: jwk.x, kid };
  return { privateKey: { ...pub, d: jwk.d }, publicKey: pub };
}

const randomLabel = () => `${new Date().toISOString().slice(0, 10).replaceAll('-', '')}-${randomBytes(3).toString('hex')}`;

/** `service`'s credential, signed with its private key; minted on first use and renewed at half its life. */
export function serviceCredential(key: PrivateServiceKey): () => Promise<string> {
  const service = ownerOf(key.kid);
  const signingKey = createPrivateKey({ key: key, format: 'jwk' });
  let current: { token: string; renewAt: number } | undefined;
  return async () => {
    if (!current || Date.now() >= current.renewAt) {
      const token = await new SignJWT({})
        .setProtectedHeader({ alg: 'EdDSA', kid: key.kid })
        .setSubject(service)
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt()
        .setExpirationTime(`${SERVICE_TOKEN_MAX_AGE_SECONDS}s`)
        .sign(signingKey);
      current = { token, renewAt: Date.now() + (SERVICE_TOKEN_MAX_AGE_SECONDS / 2) * 1000 };
    }
    return current.token;
  };
}

/**
 * Verifies services' credentials against the public keys a service trusts, and names the caller.
 * Verified credentials are remembered until they expire: the router sends the same one on every
 * entity fetch for minutes, and an Ed25519 verification per fetch would be CPU spent for nothing.
 */
export class ServiceTrust {
  private readonly keys = new Map<string, KeyObject>();
  private readonly verified = new Map<string, { service: string; expiresAt: number }>();

  constructor(trusted: readonly PublicServiceKey[]) {
    for (const key of trusted) this.keys.set(key.kid, createPublicKey({ key, format: 'jwk' }));
  }

  /** The calling service, or null when there is no credential; a bad one is UNAUTHENTICATED. */
  async callerOf(token: string | undefined): Promise<string | null> {
    if (!token) return null;
    const known = this.verified.get(token);
    if (known && known.expiresAt > Date.now()) return known.service;
    try {
      const { kid } = decodeProtectedHeader(token);
      const key = kid ? this.keys.get(kid) : undefined;
      if (!kid || !key) throw new Error('unknown key');
      const { payload } = await jwtVerify(token, key, {
        algorithms: ['EdDSA'],
        issuer: ISSUER,
        audience: AUDIENCE,
        subject: ownerOf(kid),
        requiredClaims: ['sub', 'exp', 'iat'],
        maxTokenAge: SERVICE_TOKEN_MAX_AGE_SECONDS + CLOCK_SKEW_SECONDS,
        clockTolerance: CLOCK_SKEW_SECONDS,
      });
      if (payload.exp! - payload.iat! > SERVICE_TOKEN_MAX_AGE_SECONDS) throw new Error('lives too long');
      if (this.verified.size >= 1_000) this.verified.clear();
      this.verified.set(token, { service: payload.sub!, expiresAt: payload.exp! * 1000 });
      return payload.sub!;
    } catch (error) {
      throw new DomainError('UNAUTHENTICATED', 'The service credential is not valid.', {}, { cause: error });
    }
  }
}

/** The caller of an internal operation, or FORBIDDEN: only `services` may call it. */
export function requireCaller(caller: string | null, ...services: string[]): string {
  if (!caller || !services.includes(caller)) {
    throw new DomainError('FORBIDDEN', `This is internal to the shop: only ${services.join(' or ')} may call it.`);
  }
  return caller;
}

/** The services that call others, and so hold a signing key. */
export const CALLING_SERVICES = ['router', 'order'] as const;
export type CallingService = (typeof CALLING_SERVICES)[number];

/** Everything a shop's services need to know who is who: the users' secret and the callers' keys. */
export interface ShopCredentials {
  jwtSecret: string;
  signingKeys: Record<CallingService, PrivateServiceKey>;
}

const publicPartOf = ({ d: _d, ...key }: PrivateServiceKey): PublicServiceKey => key;

/** The public keys every service of the shop trusts: those of the calling services. */
export const trustedKeysOf = (credentials: ShopCredentials): PublicServiceKey[] => Object.values(credentials.signingKeys).map(publicPartOf);

/** Fresh credentials for a shop: a random users' secret and a key pair per calling service. */
export function generateShopCredentials(): ShopCredentials {
  return {
    jwtSecret: randomBytes(32).toString('base64url'),
    signingKeys: { router: generateServiceKey('router').privateKey, order: generateServiceKey('order').privateKey },
  };
}

/** One service's environment for `credentials`: the users' secret, the keys it trusts, its own key if it calls others. */
export function credentialEnv(credentials: ShopCredentials, service: string): Record<string, string> {
  const own = (CALLING_SERVICES as readonly string[]).includes(service) ? credentials.signingKeys[service as CallingService] : undefined;
  return {
    JWT_SECRET: credentials.jwtSecret,
    SERVICE_TRUSTED_KEYS: JSON.stringify(trustedKeysOf(credentials)),
    ...(own ? { SERVICE_SIGNING_KEY: JSON.stringify(own) } : {}),
  };
}
