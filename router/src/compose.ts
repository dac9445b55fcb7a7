import { readFileSync } from 'node:fs';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { CONTEXT_NAMES, localSubgraphUrl } from '@bookshop/contexts';

// Development only (`pnpm compose` and the supergraph test): @apollo/composition is a devDependency,
// so nothing the router runs may import this module; it reads supergraph-file.ts instead.

const schemaFileOf = (name: string) => new URL(`../../subgraphs/${name}/src/schema.graphql`, import.meta.url);

/** Composes the subgraphs' SDL files into the supergraph SDL the router serves. */
export function composeSupergraph(): string {
  const result = composeServices(
    CONTEXT_NAMES.map((name) => ({
      name,
      url: localSubgraphUrl(name),
      typeDefs: parse(readFileSync(schemaFileOf(name), 'utf8')),
    })),
  );
  if (result.errors) {
    throw new Error(`The subgraphs do not compose:\n${result.errors.map((error) => `  - ${error.message}`).join('\n')}`);
  }
  return result.supergraphSdl;
}
