// The Hive Gateway on the same supergraph, with in-flight de-duplication off (identical concurrent
// queries would otherwise be answered once: a benchmark artefact), and optionally with the Rust
// query planner (@graphql-hive/router-runtime). Run as its own process:
//   node --import tsx hive-gateway.ts <port> <supergraph file> <service credential> [rust]
// The credential goes on every subgraph request: the shop's subgraphs answer `_entities` only to it.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createGatewayRuntime } from '@graphql-hive/gateway';
import { unifiedGraphHandler } from '@graphql-hive/router-runtime';

const [port, supergraphFile, credential, planner] = process.argv.slice(2);
const gateway = createGatewayRuntime({
  supergraph: readFileSync(supergraphFile!, 'utf8'),
  transportEntries: { '*.http': { options: { deduplicateInflightRequests: false }, headers: [['x-service-token', credential!]] } },
  logging: false,
  ...(planner === 'rust' ? { unifiedGraphHandler } : {}),
});
createServer((request, response) => void gateway(request, response)).listen(Number(port), '127.0.0.1', () =>
  process.stdout.write(`ready http://127.0.0.1:${port}/graphql\n`),
);
