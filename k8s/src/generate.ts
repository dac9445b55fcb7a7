import { writeFileSync } from 'node:fs';
import { generatedManifests } from './stateless-subgraphs.js';

// `pnpm k8s:generate`: rewrites k8s/base/book.yaml, order.yaml and delivery.yaml from
// stateless-subgraphs.ts.
for (const { file, path, text } of generatedManifests()) {
  writeFileSync(file, text);
  console.log(`wrote ${path}`);
}
