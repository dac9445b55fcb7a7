#!/bin/sh
# Makes this dev cluster's secrets, random for each checkout and never committed (.gitignore):
#   jwt.env            JWT_SECRET, the users' token secret               -> Secret bookshop-jwt
#   nats-passwords.env one NATS password per context, and the admin's    -> Secret bookshop-nats
#   router-key.env     the router's Ed25519 key (SERVICE_SIGNING_KEY)    -> Secret bookshop-router-key
#   order-key.env      order's Ed25519 key (SERVICE_SIGNING_KEY)         -> Secret bookshop-order-key
#   service-trust.env  their public keys (SERVICE_TRUSTED_KEYS)          -> Secret bookshop-service-trust
# Run once before `kubectl apply -k k8s/overlays/dev`; existing files are kept, so the secrets
# stay those the cluster already has. With a folder argument it writes there instead: a production
# cluster's secrets, made on a trusted machine and loaded with `kubectl create secret --from-env-file`.
set -eu
target="${1:-$(dirname "$0")}"
mkdir -p "$target"
cd "$target"
umask 077
if [ ! -f jwt.env ]; then
  printf 'JWT_SECRET=%s\n' "$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')" > jwt.env
fi
if [ ! -f nats-passwords.env ]; then
  for key in book order delivery review mypage admin; do
    printf '%s=%s\n' "$key" "$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
  done > nats-passwords.env
fi
if [ ! -f service-trust.env ]; then
  # Ed25519 key pairs as JWKs, kid "<service>.<label>": the services read them as JSON.
  node --input-type=module -e '
    import { generateKeyPairSync, randomBytes } from "node:crypto";
    import { writeFileSync } from "node:fs";
    const trusted = [];
    for (const service of ["router", "order"]) {
      const jwk = generateKeyPairSync("ed25519").privateKey.export({ format: "jwk" });
      const kid = `${service}.dev-${randomBytes(3).toString("hex")}`;
      writeFileSync(`${service}-key.env`, `SERVICE_SIGNING_KEY=${JSON.stringify({ kty: "OKP", crv: "Ed25519", x: jwk.x, d: jwk.d, kid })}\n`, { mode: 0o600 });
      trusted.push({ kty: "OKP", crv: "Ed25519", x: jwk.x, kid });
    }
    writeFileSync("service-trust.env", `SERVICE_TRUSTED_KEYS=${JSON.stringify(trusted)}\n`, { mode: 0o600 });
  '
fi
echo "secrets in $(pwd): jwt.env nats-passwords.env router-key.env order-key.env service-trust.env"
