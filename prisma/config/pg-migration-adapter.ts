import { PrismaPg } from '@prisma/adapter-pg';

/**
 * The PostgreSQL driver adapter used by Prisma's migration commands (never by the services).
 *
 * Works around prisma/prisma#27403: the wasm schema engine reads `pg_catalog` columns of type
 * `name` (OID 19), which @prisma/adapter-pg 6.19 cannot map ("Column type 'name' could not be
 * deserialized"). `name` is text on the wire, so we report those columns as `text` (OID 25).
 * Remove this once the upstream adapter maps OID 19.
 */
const PG_NAME_OID = 19;
const PG_TEXT_OID = 25;

interface PgResult {
  fields: { dataTypeID: number }[];
}
interface PerformsIO {
  performIO(query: unknown): Promise<PgResult>;
  startTransaction?(isolationLevel?: unknown): Promise<PerformsIO>;
}

function reportNameColumnsAsText<T>(queryable: T): T {
  const target = queryable as unknown as PerformsIO;
  const performIO = target.performIO.bind(target);
  target.performIO = async (query) => {
    const result = await performIO(query);
    for (const field of result.fields) {
      if (field.dataTypeID === PG_NAME_OID) field.dataTypeID = PG_TEXT_OID;
    }
    return result;
  };
  const startTransaction = target.startTransaction?.bind(target);
  if (startTransaction) {
    target.startTransaction = async (isolationLevel) => reportNameColumnsAsText(await startTransaction(isolationLevel));
  }
  return queryable;
}

// Typed as the factory it wraps, so `provider` keeps its literal type ("postgres") that Prisma's config requires.
export function pgMigrationAdapter(connectionString: string): Pick<PrismaPg, 'provider' | 'adapterName' | 'connect' | 'connectToShadowDb'> {
  // The CLI never closes the pool: without allowExitOnIdle every command waits out pg's 10 s idle timer.
  const factory = new PrismaPg({ connectionString, allowExitOnIdle: true });
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => reportNameColumnsAsText(await factory.connect()),
    connectToShadowDb: async () => reportNameColumnsAsText(await factory.connectToShadowDb()),
  };
}
