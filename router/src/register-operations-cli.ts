import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildPersistedOperationsManifest, renderManifest } from './operations-manifest.js';
import { PERSISTED_OPERATIONS_FILE } from './persisted-operations.js';

// `pnpm operations:register`: rewrites router/persisted-operations.json from router/operations/*.graphql.
const manifest = buildPersistedOperationsManifest();
writeFileSync(PERSISTED_OPERATIONS_FILE, renderManifest(manifest));
console.log(`wrote ${manifest.operations.length} operations to ${fileURLToPath(PERSISTED_OPERATIONS_FILE)}`);
