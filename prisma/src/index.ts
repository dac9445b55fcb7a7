export { migrateDeploy } from './migrate.js';
export { migrationSetId } from './migrations.js';
export { databaseExists, databaseUrl, dropDatabase, ensureDatabase } from './postgres-admin.js';
export * from './database-urls.js';
