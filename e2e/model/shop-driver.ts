import { ERROR_CODES, type ErrorCode, type Role } from '@bookshop/runtime';
import { graphql, tokenFor, type GraphQLResult } from '@bookshop/testing';
import type { Outcome } from './model.js';

/**
 * The shop as its users reach it: named operations through the router, each with the token of
 * the role that may run it, each answer turned into an Outcome.
 */

/**
 * Coded refusals: the shop decided and changed nothing. An unavailable service leaves the outcome
 * unknown, as does every error without one of the shop's codes.
 */
const UNKNOWN_OUTCOME_CODES: readonly ErrorCode[] = ['SERVICE_UNAVAILABLE'];
const REFUSALS: ReadonlySet<string> = new Set(ERROR_CODES.filter((code) => !UNKNOWN_OUTCOME_CODES.includes(code)));

/** Long enough for a slow answer under load or during a restart; past it the outcome is unknown. */
const REQUEST_TIMEOUT_MS = 15_000;

const REGISTER_BOOK = `mutation ModelRegisterBook($input: RegisterBookInput!) { registerBook(input: $input) { id stock } }`;
const RESTOCK_BOOK = `mutation ModelRestockBook($bookId: ID!, $quantity: Int!) { restockBook(bookId: $bookId, quantity: $quantity) { id stock } }`;
const BOOK_BY_TITLE = `query ModelBookByTitle($title: String!) { bookByTitle(title: $title) { id } }`;
const PLACE_ORDER = `mutation ModelPlaceOrder($input: PlaceOrderInput!) { placeOrder(input: $input) { id status } }`;
const CANCEL_ORDER = `mutation ModelCancelOrder($orderId: ID!) { cancelOrder(orderId: $orderId) { id status } }`;
const SHIPMENT_OF_ORDER = `query ModelShipmentOfOrder($id: ID!) { order(id: $id) { delivery { id status } } }`;
const COMPLETE_DELIVERY = `mutation ModelCompleteDelivery($deliveryId: ID!) { completeDelivery(deliveryId: $deliveryId) { id status } }`;
const WRITE_REVIEW = `mutation ModelWriteReview($input: WriteReviewInput!) { writeReview(input: $input) { id rating } }`;

export class ShopDriver {
  private readonly tokens = new Map<string, Promise<string>>();

  constructor(private readonly url: string) {}

  registerBook(title: string, stock: number) {
    return this.send<{ registerBook: { id: string; stock: number } }>(['staff', 'model-staff'], REGISTER_BOOK, {
      input: { title, author: 'Model Author', publisher: 'Model Press', stock },
    });
  }

  restockBook(bookId: string, quantity: number) {
    return this.send<{ restockBook: { id: string; stock: number } }>(['staff', 'model-staff'], RESTOCK_BOOK, { bookId, quantity });
  }

  async bookIdByTitle(title: string): Promise<string | null> {
    const outcome = await this.send<{ bookByTitle: { id: string } | null }>(null, BOOK_BY_TITLE, { title });
    return outcome.kind === 'ok' ? (outcome.value.bookByTitle?.id ?? null) : null;
  }

  placeOrder(customer: string, input: { title: string; quantity: number; idempotencyKey: string | null }) {
    return this.send<{ placeOrder: { id: string; status: string } }>(['customer', customer], PLACE_ORDER, {
      input: {
        title: input.title,
        quantity: input.quantity,
        address: '1 Model Street',
        ...(input.idempotencyKey ? { idempotencyKey: input.idempotencyKey } : {}),
      },
    });
  }

  cancelOrder(customer: string, orderId: string) {
    return this.send<{ cancelOrder: { id: string; status: string } }>(['customer', customer], CANCEL_ORDER, { orderId });
  }

  /** The shipment of an order, as staff sees it (a courier reaches orders only through shipments). */
  async shipmentOf(orderId: string): Promise<{ id: string; status: string } | null> {
    const outcome = await this.send<{ order: { delivery: { id: string; status: string } | null } | null }>(
      ['staff', 'model-staff'],
      SHIPMENT_OF_ORDER,
      { id: orderId },
    );
    return outcome.kind === 'ok' ? (outcome.value.order?.delivery ?? null) : null;
  }

  completeDelivery(deliveryId: string) {
    return this.send<{ completeDelivery: { id: string; status: string } }>(['courier', 'model-courier'], COMPLETE_DELIVERY, { deliveryId });
  }

  writeReview(customer: string, orderId: string, rating: number) {
    return this.send<{ writeReview: { id: string; rating: number } }>(['customer', customer], WRITE_REVIEW, {
      input: { orderId, rating, content: `${rating} stars from the model` },
    });
  }

  private token(role: Role, subject: string): Promise<string> {
    const key = `${role}/${subject}`;
    if (!this.tokens.has(key)) this.tokens.set(key, tokenFor(role, subject));
    return this.tokens.get(key)!;
  }

  private async send<T>(caller: [Role, string] | null, query: string, variables: Record<string, unknown>): Promise<Outcome<T>> {
    let result: GraphQLResult<T>;
    try {
      const token = caller ? await this.token(...caller) : undefined;
      result = await graphql<T>(this.url, query, variables, {
        ...(token ? { token } : {}),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      return { kind: 'unknown', reason: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
    }
    const error = result.errors?.[0];
    if (!error) {
      return result.data ? { kind: 'ok', value: result.data } : { kind: 'unknown', reason: `HTTP ${result.status} without data` };
    }
    const code = error.extensions?.code ?? 'NO_CODE';
    return REFUSALS.has(code) ? { kind: 'refused', code } : { kind: 'unknown', reason: `${code}: ${error.message}` };
  }
}
