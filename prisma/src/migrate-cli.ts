import { CONTEXT_NAMES, isContextName } from '@bookshop/contexts';
import { contextDatabaseUrl } from './database-urls.js';
import { migrateDeploy } from './migrate.js';

/**
 * `node dist/migrate-cli.js <context>`: applies the context's committed migrations to its database
 * (`<CONTEXT>_DATABASE_URL`, as the service itself reads it). The container image's migration
 * step on Kubernetes runs this before a new version of the service starts.
 */
const context = process.argv[2];
if (!context || !isContextName(context)) {
  process.stderr.write(`usage: migrate-cli <${CONTEXT_NAMES.join('|')}>\n`);
  process.exit(64);
}
await migrateDeploy(context, contextDatabaseUrl(context));
process.stdout.write(`${context}: migrations applied\n`);
