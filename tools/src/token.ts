import { ROLES, signToken, type Role } from '@bookshop/runtime';
import { dataDirOf, localSecrets } from './local-secrets.js';

// `pnpm -s token <role> <subject>`: prints a bearer token valid for 24 h, and nothing else. It is
// signed with the data folder's own secret (the one `pnpm start` uses), or JWT_SECRET when set.
const [role, subject] = process.argv.slice(2);
if (!role || !subject || !(ROLES as readonly string[]).includes(role)) {
  process.stderr.write(`usage: pnpm -s token <${ROLES.join('|')}> <subject>\n`);
  process.exit(2);
}
const { credentials } = localSecrets(dataDirOf());
process.stdout.write(`${await signToken({ role: role as Role, subject }, credentials.jwtSecret)}\n`);
