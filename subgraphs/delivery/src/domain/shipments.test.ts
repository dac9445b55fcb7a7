import { randomUUID } from 'node:crypto';
import { emitTo, outboxWriter } from '@bookshop/events';
import { createPostgresTestDatabase, type TestDatabase } from '@bookshop/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeliveryDatabase, type DeliveryDatabase } from '../database.js';
import { completeDelivery, prepareShipments, stopShipment } from './shipments.js';

let database: TestDatabase;
let db: DeliveryDatabase;
const events = outboxWriter('shipments_test');
const meta = { correlationId: 'shipments-test' };

beforeAll(async () => {
  database = await createPostgresTestDatabase('delivery');
  db = createDeliveryDatabase(database.url);
});
afterAll(async () => {
  await db.$disconnect();
  await database.drop();
});

const prepare = (orderId: string, customerId = 'alice') =>
  db.$transaction((tx) =>
    prepareShipments(tx, emitTo(tx.outboxEvent), events, [{ order: { orderId, customerId, address: '1 Ocean Way' }, meta }]),
  );
const eventTypesOf = async (orderId: string) =>
  (await db.outboxEvent.findMany({ orderBy: { createdAt: 'asc' } }))
    .filter((row) => JSON.parse(row.envelope).orderId === orderId)
    .map((row) => row.type)
    .sort();

describe('a cancel (stop) racing the courier (complete)', () => {
  it('exactly one wins for every shipment when both are fired at the same instant (40 shipments)', async () => {
    const orderIds = Array.from({ length: 40 }, () => randomUUID());
    for (const orderId of orderIds) await prepare(orderId);
    const shipments = await db.delivery.findMany({ where: { orderId: { in: orderIds } } });

    const outcomes = await Promise.all(
      shipments.map(async (shipment) => {
        const [stopped, completed] = await Promise.allSettled([
          stopShipment(db, events, { orderId: shipment.orderId, address: shipment.address }, meta),
          completeDelivery(db, events, shipment.id, meta),
        ]);
        const stopWon = stopped.status === 'fulfilled' && stopped.value.status === 'CANCELLED';
        const completeWon = completed.status === 'fulfilled' && completed.value.status === 'DELIVERED';
        const final = (await db.delivery.findUniqueOrThrow({ where: { id: shipment.id } })).status;
        return { orderId: shipment.orderId, stopWon, completeWon, final, events: await eventTypesOf(shipment.orderId) };
      }),
    );
    for (const outcome of outcomes) {
      expect(outcome.stopWon !== outcome.completeWon).toBe(true);
      expect(outcome.final).toBe(outcome.stopWon ? 'CANCELLED' : 'DELIVERED');
      expect(outcome.events).toEqual(outcome.stopWon ? ['DeliveryCancelled', 'DeliveryStarted'] : ['DeliveryCompleted', 'DeliveryStarted']);
    }
  });

  it('refuses to complete a stopped shipment, and answers "too late" to a stop after the completion', async () => {
    const [stoppedOrder, deliveredOrder] = [randomUUID(), randomUUID()];
    await prepare(stoppedOrder);
    await prepare(deliveredOrder);
    const stopped = await stopShipment(db, events, { orderId: stoppedOrder, address: 'x' }, meta);
    await expect(completeDelivery(db, events, stopped.id, meta)).rejects.toMatchObject({ code: 'DELIVERY_NOT_COMPLETABLE' });
    const delivered = await db.delivery.findUniqueOrThrow({ where: { orderId: deliveredOrder } });
    await completeDelivery(db, events, delivered.id, meta);
    expect((await stopShipment(db, events, { orderId: deliveredOrder, address: 'x' }, meta)).status).toBe('DELIVERED');
    expect(await eventTypesOf(deliveredOrder)).toEqual(['DeliveryCompleted', 'DeliveryStarted']);
  });
});

describe('a stop that arrives before the shipment exists', () => {
  it('leaves a stopped record, so the late OrderPlaced prepares nothing and announces nothing', async () => {
    const orderId = randomUUID();
    const stopped = await stopShipment(db, events, { orderId, address: '2 Dune Road' }, meta);
    expect(stopped).toMatchObject({ orderId, status: 'CANCELLED', address: '2 Dune Road' });
    await prepare(orderId);
    expect((await db.delivery.findUniqueOrThrow({ where: { orderId } })).status).toBe('CANCELLED');
    expect(await eventTypesOf(orderId)).toEqual(['DeliveryCancelled']);
  });

  it('learns its customer from the late OrderPlaced (the stop does not know who ordered), so they may see it', async () => {
    const orderId = randomUUID();
    expect(await stopShipment(db, events, { orderId, address: '3 Dune Road' }, meta)).toMatchObject({ customerId: null });
    await prepare(orderId, 'bob');
    expect(await db.delivery.findUniqueOrThrow({ where: { orderId } })).toMatchObject({ status: 'CANCELLED', customerId: 'bob' });
  });

  it('ends stopped, announced once, when the stop and the OrderPlaced handling race (30 orders)', async () => {
    const orderIds = Array.from({ length: 30 }, () => randomUUID());
    await Promise.all(orderIds.flatMap((orderId) => [prepare(orderId), stopShipment(db, events, { orderId, address: 'x' }, meta)]));
    for (const orderId of orderIds) {
      expect({ orderId, status: (await db.delivery.findUniqueOrThrow({ where: { orderId } })).status }).toEqual({
        orderId,
        status: 'CANCELLED',
      });
      expect((await eventTypesOf(orderId)).filter((type) => type === 'DeliveryCancelled')).toEqual(['DeliveryCancelled']);
    }
  });

  it('repeating a stop changes nothing and announces nothing again', async () => {
    const orderId = randomUUID();
    await prepare(orderId);
    await Promise.all([1, 2, 3].map(() => stopShipment(db, events, { orderId, address: 'x' }, meta)));
    expect(await eventTypesOf(orderId)).toEqual(['DeliveryCancelled', 'DeliveryStarted']);
  });
});
