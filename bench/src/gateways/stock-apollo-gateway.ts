// A stock @apollo/gateway with its default settings (default fetcher, no tuning), on the same
// supergraph as ours: the baseline the router is compared with. Run as its own process:
//   node --import tsx stock-apollo-gateway.ts <port> <supergraph file> <service credential>
// The credential goes on every subgraph request: the shop's subgraphs answer `_entities` only to it.
import { readFileSync } from 'node:fs';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';

const [port, supergraphFile, credential] = process.argv.slice(2);
const gateway = new ApolloGateway({
  supergraphSdl: readFileSync(supergraphFile!, 'utf8'),
  buildService: ({ url }) =>
    new RemoteGraphQLDataSource({
      url: url!,
      willSendRequest: ({ request }) => void request.http?.headers.set('x-service-token', credential!),
    }),
});
const server = new ApolloServer({ gateway });
const { url } = await startStandaloneServer(server, { listen: { port: Number(port), host: '127.0.0.1' } });
process.stdout.write(`ready ${url}\n`);
