import { DEVELOPMENT_JWT_SECRET, ROLES, signToken, type Role } from '@bookshop/runtime';

// `pnpm -s token <role> <subject>`: prints a bearer token valid for 24 h, and nothing else.
const [role, subject] = process.argv.slice(2);
const roles = ROLES.filter((r) => r !== 'service');
if (!role || !subject || !(roles as readonly string[]).includes(role)) {
  process.stderr.write(`usage: pnpm -s token <${roles.join('|')}> <subject>\n`);
  process.exit(2);
}
process.stdout.write(`${await signToken({ role: role as Role, subject }, process.env.JWT_SECRET ?? DEVELOPMENT_JWT_SECRET)}\n`);
