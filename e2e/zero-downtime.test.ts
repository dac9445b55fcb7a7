import { eventually, graphql, startTcpProxy, tokenFor, type GraphQLResult, type TcpProxy } from '@bookshop/testing';
import { freePort, type ManagedProcess } from '@bookshop/tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { placeOrder, registerBook, stockLedger } from './support/orders.js';
import { startShop, type TestShop } from './support/shop.js';

// Two book instances behind a readiness-aware proxy (the part a Kubernetes Service plays): the
// router and order reach book only through it.
let shop: TestShop;
let proxy: TcpProxy;
const extraInstances: ManagedProcess[] = [];

beforeAll(async () => {
  proxy = await startTcpProxy({ readinessPath: '/readyz', pollMs: 100 });
  shop = await startShop({
    serviceEnv: {
      router: { SUBGRAPH_URL_BOOK: proxy.url },
      // One customer orders without pause here: past the open-order cap that protects a real shop.
      order: { SUBGRAPH_URL_BOOK: proxy.url, ORDER_MAX_OPEN_PER_CUSTOMER: '1000000' },
      // As on Kubernetes: keep accepting a moment after turning unready (the preStop pause), and a
      // grace period longer than the clients' keep-alive.
      book: { SHUTDOWN_DELAY_MS: '1000', SHUTDOWN_GRACE_MS: '10000' },
    },
  });
});
afterAll(async () => {
  await Promise.all(extraInstances.map((instance) => instance.stop()));
  await shop?.stop();
  await proxy?.close();
});

async function startBook(): Promise<{ port: number; process: ManagedProcess }> {
  const port = await freePort();
  const process = await shop.startInstance('book', port, {});
  extraInstances.push(process);
  return { port, process };
}

describe('replacing a subgraph instance under load', () => {
  it('start new, wait until ready, SIGTERM old — twice — and not one request fails', async () => {
    const first = { port: Number(new URL(shop.urls.book).port), process: shop.processes.book };
    const second = await startBook();
    proxy.setBackends([{ port: first.port }, { port: second.port }]);
    await eventually(
      async () => proxy.routedPorts().length,
      (count) => count === 2,
    );
    const book = await registerBook(shop, 100_000);
    const alice = await tokenFor('customer', 'alice');

    // Steady load: four clients, each alternating a catalogue query and an order, until told to stop.
    const failures: Array<GraphQLResult | string> = [];
    let answered = 0;
    let running = true;
    const client = async () => {
      for (let turn = 0; running; turn++) {
        try {
          const result =
            turn % 2 === 0
              ? await graphql(
                  shop.url,
                  `
                    {
                      books(first: 5) {
                        title
                        stock
                      }
                    }
                  `,
                  {},
                  { token: alice, signal: AbortSignal.timeout(10_000) },
                )
              : await placeOrder(shop.url, alice, { title: book.title, quantity: 1 }, { timeoutMs: 10_000 });
          if (result.status !== 200 || result.errors) failures.push(result);
          answered += 1;
        } catch (error) {
          failures.push(String(error));
        }
      }
    };
    const clients = Array.from({ length: 4 }, client);
    await new Promise((resolve) => setTimeout(resolve, 1_000));

    let instances = [first, second];
    for (const old of [first, second]) {
      const fresh = await startBook();
      instances = [...instances, fresh];
      proxy.setBackends(instances.map(({ port }) => ({ port })));
      await eventually(
        async () => proxy.routedPorts(),
        (ports) => ports.includes(fresh.port),
      );
      const before = answered;
      await old.process.stop(); // SIGTERM, and wait until it has exited
      expect(answered).toBeGreaterThan(before); // the load really ran through the replacement
      instances = instances.filter((instance) => instance !== old);
      proxy.setBackends(instances.map(({ port }) => ({ port })));
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    running = false;
    await Promise.all(clients);

    if (failures.length > 0) console.log(shop.logs().join('\n'));
    expect(failures).toEqual([]);
    expect(answered).toBeGreaterThan(100);
    const ledger = await stockLedger(shop, book.title);
    expect(ledger.pendingOrders).toBe(0);
    expect(ledger.stock + ledger.placedQuantity).toBe(100_000);
  });
});
