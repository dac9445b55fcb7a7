// A stock @apollo/gateway with its default settings (default fetcher, no tuning), on the same
// supergraph as ours: the baseline the router is compared with. Run as its own process:
//   node --import tsx stock-apollo-gateway.ts <port> <supergraph file>
import { readFileSync } from 'node:fs';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';

const [port, supergraphFile] = process.argv.slice(2);
const server = new ApolloServer({ gateway: new ApolloGateway({ supergraphSdl: readFileSync(supergraphFile!, 'utf8') }) });
const { url } = await startStandaloneServer(server, { listen: { port: Number(port), host: '127.0.0.1' } });
process.stdout.write(`ready ${url}\n`);
