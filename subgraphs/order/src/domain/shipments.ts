/**
 * What order needs from the delivery context to cancel: delivery decides whether a parcel can
 * still be stopped (exactly one of a cancel and a completion wins per order, see delivery's
 * shipment-states.ts). The implementation is a synchronous call (delivery-client.ts):
 * - resolves 'STOPPED': the shipment is cancelled (or never will be prepared), so the order may be;
 * - resolves 'DELIVERED': too late, the parcel was handed over;
 * - rejects with a DomainError SERVICE_UNAVAILABLE: delivery could not be asked or did not answer
 *   in time. If it did stop the shipment, its DeliveryCancelled event finishes the cancel.
 */
export interface Shipments {
  stop(order: { orderId: string; address: string }): Promise<ShipmentStop>;
}

export type ShipmentStop = 'STOPPED' | 'DELIVERED';
