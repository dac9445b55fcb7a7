import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import type { Role } from '@bookshop/runtime';
import { eventually, graphql, queryRows, tokenFor } from '@bookshop/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { placeOrder, registerBook } from './support/orders.js';
import { startShop, type TestShop } from './support/shop.js';

/**
 * Every mutation of the public API, fuzzed through the router with inputs an attacker would
 * send: any script, control and invisible characters, unpaired surrogates, huge and negative
 * numbers, floats, nulls, wrong types, missing and unknown fields — as variables and as inline
 * literals — under every kind of caller (anonymous, customer, staff, courier, service, forged or
 * garbled tokens). Invariants: no HTTP 500, only the shop's and GraphQL's own error codes, no
 * stack trace, SQL, Prisma or file path in any answer, and a refusal changes no database.
 *
 * A client-side oracle (the public contract, README) judges each input first: certainly refused
 * (a caller without the role, a field out of its bounds, an unknown id, a state that refuses),
 * answered without change (a repeat), or possibly accepted. The first two kinds run first, in
 * batches, with every database compared before and after each batch; the possibly accepted run
 * last (their effects are real, so only the answers are checked).
 *
 * FUZZ_RUNS (inputs per mutation, default 600) and FUZZ_SEED (to replay a run) tune it.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 600);
const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const CONCURRENCY = 8;
const BATCH = 250;

const KNOWN_CODES = new Set([
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'INVALID_INPUT',
  'BOOK_NOT_FOUND',
  'BOOK_ALREADY_EXISTS',
  'OUT_OF_STOCK',
  'ORDER_NOT_FOUND',
  'ORDER_NOT_CANCELLABLE',
  'DELIVERY_NOT_FOUND',
  'REVIEW_NOT_ALLOWED',
  'DELIVERY_NOT_COMPLETABLE',
  'SERVICE_UNAVAILABLE',
  'OPERATION_TOO_COMPLEX',
  'OPERATION_NOT_ALLOWED',
  'TOO_MANY_SUBSCRIPTIONS',
  'TOO_MANY_CONNECTIONS',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'GRAPHQL_PARSE_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
]);

/** What must never reach a caller (checked after the caller's own input is cut out of the text). */
const LEAKS: Array<[string, RegExp]> = [
  ['Prisma', /prisma/i],
  ['a stack frame', /\n\s*at |\bat (?:async )?[\w$.<>[\]]+ \(/],
  ['a source path', /[/\\][\w.-]+\.(?:[cm]?[jt]s)\b|node_modules|file:\/\//],
  ['SQL', /\b(?:SELECT|INSERT INTO|UPDATE|DELETE FROM)\b[\s\S]*\b(?:FROM|SET|VALUES|WHERE)\b/],
  ['a database error', /violates|constraint|duplicate key|invalid byte sequence|syntax error at or near|relation "|SQLITE_/i],
  ['a socket error', /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE/],
];

// ——— the shop and what it holds before the fuzz ———

type Caller = 'anonymous' | 'alice' | 'bob' | 'staff' | 'courier' | 'service' | 'forged' | 'tampered' | 'garbled' | 'basic';
const CALLERS: Caller[] = ['anonymous', 'alice', 'bob', 'staff', 'courier', 'service', 'forged', 'tampered', 'garbled', 'basic'];
const CUSTOMERS = new Set<Caller>(['alice', 'bob']);

let shop: TestShop;
const headers = {} as Record<Caller, Record<string, string>>;

interface Seed {
  books: { stocked: SeedBook; empty: SeedBook; full: SeedBook };
  /** Alice's orders in each state (one of them reviewed), and one of Bob's. */
  orders: Record<'placed' | 'delivered' | 'reviewed' | 'cancelled' | 'bobs', { id: string; customer: Caller; deliveryId: string }>;
}
interface SeedBook {
  id: string;
  title: string;
  stock: number;
}
let seed: Seed;

const ORDER_DELIVERY = `query($id: ID!) { order(id: $id) { status delivery { id status } } }`;

async function seedShop(): Promise<Seed> {
  const run = randomUUID().slice(0, 8);
  const [stocked, empty, full] = await Promise.all([
    registerBook(shop, 1_000_000, `Fuzz Stocked ${run}`),
    registerBook(shop, 0, `Fuzz Empty ${run}`),
    registerBook(shop, 1_000_000_000, `Fuzz Full ${run}`),
  ]);
  const token = (caller: Caller) => headers[caller].authorization!.slice('Bearer '.length);
  const place = async (customer: Caller) => {
    const result = await placeOrder(shop.url, token(customer), { title: stocked.title, quantity: 1 });
    expect(result.errors).toBeUndefined();
    const id = result.data!.placeOrder.id as string;
    const delivery = await eventually(
      async () => (await graphql(shop.url, ORDER_DELIVERY, { id }, { token: token(customer) })).data?.order?.delivery,
      (found) => found?.status === 'PREPARING',
      30_000,
    );
    return { id, customer, deliveryId: delivery.id as string };
  };
  const [placed, delivered, reviewed, cancelled, bobs] = await Promise.all([
    place('alice'),
    place('alice'),
    place('alice'),
    place('alice'),
    place('bob'),
  ]);
  for (const order of [delivered, reviewed]) {
    const completed = await graphql(
      shop.url,
      `
        mutation ($d: ID!) {
          completeDelivery(deliveryId: $d) {
            status
          }
        }
      `,
      { d: order.deliveryId },
      { token: token('courier') },
    );
    expect(completed.errors).toBeUndefined();
  }
  const cancel = await graphql(
    shop.url,
    `
      mutation ($o: ID!) {
        cancelOrder(orderId: $o) {
          status
        }
      }
    `,
    { o: cancelled.id },
    { token: token('alice') },
  );
  expect(cancel.errors).toBeUndefined();
  // Review learns of the delivery from events: ask until it knows.
  await eventually(
    async () =>
      graphql(
        shop.url,
        `
          mutation ($i: WriteReviewInput!) {
            writeReview(input: $i) {
              id
            }
          }
        `,
        { i: { orderId: reviewed.id, rating: 4, content: 'Seed review.' } },
        { token: token('alice') },
      ),
    (result) => !result.errors,
    30_000,
  );
  return {
    books: { stocked: { ...stocked, stock: 1_000_000 }, empty: { ...empty, stock: 0 }, full: { ...full, stock: 1_000_000_000 } },
    orders: { placed, delivered, reviewed, cancelled, bobs },
  };
}

// ——— the databases, as fingerprints ———

/** Per table, rows and a hash of their content. REJECTED orders are left out: book's refusal of a
 *  placed order (BOOK_NOT_FOUND, OUT_OF_STOCK) is kept as a REJECTED row for audit, by design. */
const POSTGRES_TABLES: Record<'book' | 'order' | 'delivery', Record<string, string>> = {
  book: { Book: 'TRUE', StockReservation: 'TRUE', OutboxEvent: 'TRUE', ProcessedEvent: 'TRUE' },
  order: { Order: `t.status <> 'REJECTED'`, OutboxEvent: 'TRUE', ProcessedEvent: 'TRUE' },
  delivery: { Delivery: 'TRUE', OutboxEvent: 'TRUE', ProcessedEvent: 'TRUE' },
};
const SQLITE_TABLES: Record<'review' | 'mypage', string[]> = {
  review: ['Review', 'ReviewableOrder', 'OutboxEvent', 'ProcessedEvent'],
  mypage: ['MyPageEntry', 'ProcessedEvent'],
};

async function fingerprint(): Promise<Record<string, string>> {
  const prints: Record<string, string> = {};
  await Promise.all(
    Object.entries(POSTGRES_TABLES).map(async ([context, tables]) => {
      const sql = Object.entries(tables)
        .map(
          ([table, where]) =>
            `SELECT '${context}.${table}' AS name, count(*) || ':' || md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS print FROM "${table}" t WHERE ${where}`,
        )
        .join(' UNION ALL ');
      for (const row of await queryRows<{ name: string; print: string }>(shop.databases[context as 'book'].url, sql))
        prints[row.name] = row.print;
    }),
  );
  for (const [context, tables] of Object.entries(SQLITE_TABLES)) {
    const db = new Database(shop.databases[context as 'review'].url.replace(/^file:/, ''), { readonly: true, fileMustExist: true });
    try {
      for (const table of tables) {
        const rows = db.prepare(`SELECT * FROM "${table}" ORDER BY rowid`).all();
        prints[`${context}.${table}`] = `${rows.length}:${JSON.stringify(rows)}`;
      }
    } finally {
      db.close();
    }
  }
  return prints;
}

/** The fingerprint once events in flight have been applied: the same twice, 300 ms apart. */
async function settledFingerprint(): Promise<Record<string, string>> {
  let previous = await fingerprint();
  const deadline = Date.now() + 20_000;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const current = await fingerprint();
    if (JSON.stringify(current) === JSON.stringify(previous) || Date.now() > deadline) return current;
    previous = current;
  }
}

const changedTables = (before: Record<string, string>, after: Record<string, string>) =>
  Object.keys({ ...before, ...after }).filter((name) => before[name] !== after[name]);

// ——— generated values ———

/** A literal written into the document as is (inline mode only): never valid where it is put. */
class RawLiteral {
  constructor(readonly text: string) {}
  toJSON() {
    return this.text; // sent as variables, it is just a string
  }
}
const MISSING = Symbol('missing');

const CONTROL = fc.constantFrom(
  '\u0000',
  '\u0001',
  '\u0007',
  '\b',
  '\u001b',
  '\u007f',
  '\u0085',
  '\u009b',
  '\t',
  '\n',
  '\r',
  '\u000b',
  '\f',
);
const FORMAT = fc.constantFrom(
  '\u00ad',
  '\u061c',
  '\u180e',
  '\u200b',
  '\u200c',
  '\u200d',
  '\u200e',
  '\u200f',
  '\u202a',
  '\u202b',
  '\u202c',
  '\u202d',
  '\u202e',
  '\u2060',
  '\u2066',
  '\u2067',
  '\u2068',
  '\u2069',
  '\ufeff',
  '\u{e0001}',
  '\u{e0041}',
);
const ODD = fc.constantFrom(
  '\ud800',
  '\udfff',
  '\u2028',
  '\u2029',
  '\u00a0',
  '\u3000',
  '\ufffd',
  '\uffff',
  '\u0301',
  '"',
  '\\',
  "'",
  '`',
  '$',
  '{',
  '}',
  '%',
  '_',
  '\u{1F4DA}',
  '\u{1F469}\u200d\u{1F4BB}',
  '\u{1D507}',
  'ﷺ',
  'Ｄｕｎｅ',
  'İ',
  'ß',
);
const INJECTION = fc.constantFrom(
  "' OR '1'='1",
  `'; DROP TABLE "Book"; --`,
  '"); --',
  '${jndi:ldap://x/a}',
  '<script>alert(1)</script>',
  '__proto__',
  'constructor',
  '{"$gt": ""}',
  '%s%s%n',
  '../../etc/passwd',
  'null',
  'undefined',
  'NaN',
  '\\u0000',
  '{{7*7}}',
  'SELECT 1 FROM pg_sleep(5)',
);
const anyUtf16Unit = fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code));
const piece = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: 'grapheme', maxLength: 16 }) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 16 }) },
  { weight: 1, arbitrary: fc.string({ unit: anyUtf16Unit, maxLength: 8 }) },
  { weight: 2, arbitrary: CONTROL },
  { weight: 2, arbitrary: FORMAT },
  { weight: 2, arbitrary: ODD },
  { weight: 1, arbitrary: INJECTION },
);
const text: fc.Arbitrary<string> = fc.oneof(
  { weight: 10, arbitrary: fc.array(piece, { maxLength: 5 }).map((pieces) => pieces.join('')) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', '\u200b', ' \t\n ', '\u3000') },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.constantFrom(199, 200, 201, 499, 500, 501, 1_999, 2_000, 2_001, 20_000, 300_000),
        fc.constantFrom('a', 'é', '字', '🙂', '\u200b', ' ', 'ﷺ'),
      )
      .map(([count, character]) => character.repeat(count)),
  },
);
const notAString = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant([]),
  fc.constant(['a']),
  fc.dictionary(fc.string({ maxLength: 3 }), fc.integer(), { maxKeys: 2 }),
);
const raw = fc
  .constantFrom('$undefined', '"unterminated', '{', '1.', '0x10', '"\\uD800"', 'ENUM_VALUE', '"a" "b"', '[', '@include')
  .map((t) => new RawLiteral(t));

// Wrong types are a small share of each slot: an input with one wrong field never reaches a
// resolver, and the resolvers' own checks are what most of the fuzz is for.
const stringSlot = (valid: fc.Arbitrary<string>) =>
  fc.oneof(
    { weight: 16, arbitrary: valid },
    { weight: 16, arbitrary: text },
    { weight: 1, arbitrary: notAString },
    { weight: 1, arbitrary: raw },
  );
const intSlot = (min: number, max: number) =>
  fc.oneof(
    { weight: 14, arbitrary: fc.integer({ min, max }) },
    { weight: 4, arbitrary: fc.constantFrom(min - 1, max + 1, 0, -1, -(2 ** 31), 2 ** 31 - 1, -0) },
    { weight: 2, arbitrary: fc.integer() },
    { weight: 1, arbitrary: fc.constantFrom(2 ** 31, 2 ** 53, -(2 ** 53), 1e21, Number.MAX_VALUE, Number.POSITIVE_INFINITY, Number.NaN) },
    { weight: 1, arbitrary: fc.oneof(fc.double(), fc.constantFrom(1.5, -0.5, 1e-9)) },
    {
      weight: 1,
      arbitrary: fc.oneof(fc.constantFrom('5', '1e3', ''), fc.boolean(), fc.constant(null), fc.constant({}), fc.constant([1]), raw),
    },
  );
const idSlot = (known: () => string[]) =>
  fc.oneof(
    { weight: 8, arbitrary: fc.nat().map((i) => known()[i % known().length]!) },
    { weight: 3, arbitrary: fc.uuid() },
    { weight: 3, arbitrary: text },
    { weight: 1, arbitrary: fc.integer() },
    { weight: 1, arbitrary: fc.oneof(notAString, raw) },
  );

/** A title an attacker would try: a known one, a look-alike of it, or anything. */
const fullwidth = (title: string) =>
  [...title].map((c) => (c === ' ' ? '\u3000' : /[!-~]/.test(c) ? String.fromCodePoint(c.codePointAt(0)! + 0xfee0) : c)).join('');
const titleSlot = () =>
  fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom(...Object.values(seed.books).map((book) => book.title)) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(
          fc.constantFrom(...Object.values(seed.books).map((book) => book.title)),
          fc.constantFrom('fullwidth', 'upper', 'spaced', 'format', 'padded'),
          FORMAT,
        )
        .map(([title, how, format]) =>
          how === 'fullwidth'
            ? fullwidth(title)
            : how === 'upper'
              ? title.toUpperCase()
              : how === 'spaced'
                ? title.replaceAll(' ', '  ')
                : how === 'format'
                  ? `${title}${format}`
                  : ` \u00a0${title}\t`,
        ),
    },
    { weight: 6, arbitrary: stringSlot(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 })) },
  );

/** Arguments or input fields, each sometimes missing (a required one more rarely than an optional one). */
function fieldsOf(fields: Record<string, fc.Arbitrary<unknown>>, optional: string[] = []): fc.Arbitrary<Args> {
  const maybeMissing = Object.fromEntries(
    Object.entries(fields).map(([name, arbitrary]) => [
      name,
      fc.option(arbitrary, { nil: MISSING as never, freq: optional.includes(name) ? 3 : 30 }),
    ]),
  );
  return fc.record(maybeMissing).map((record) => Object.fromEntries(Object.entries(record).filter(([, value]) => value !== MISSING)));
}

/** An input object: fields sometimes missing, sometimes an unknown one added, sometimes not an object at all. */
function inputObject(fields: Record<string, fc.Arbitrary<unknown>>, optional: string[] = []): fc.Arbitrary<unknown> {
  const unknownField = fc.tuple(
    fc.constantFrom('extra', '__typename', 'Title', 'customerId', 'status', 'id'),
    fc.jsonValue({ maxDepth: 1 }),
  );
  const object = fc
    .tuple(fieldsOf(fields, optional), fc.oneof({ weight: 15, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: unknownField }))
    .map(([present, extra]) => (extra ? { ...present, [extra[0]]: extra[1] } : present));
  return fc.oneof(
    { weight: 30, arbitrary: object },
    { weight: 1, arbitrary: notAString },
    { weight: 1, arbitrary: fc.array(object, { maxLength: 2 }) },
  );
}

// ——— the contract, as the oracle knows it ———

type Verdict = 'refused' | 'unchanged' | 'maybe';
type Args = Record<string, unknown>;

const FORBIDDEN_SINGLE_LINE = /[\p{Cc}\p{Cf}\p{Cs}\u2028\u2029]/u;
const FORBIDDEN_MULTI_LINE = /[^\P{Cc}\n\t]|[\p{Cf}\p{Cs}]/u;
const EDGE_WHITESPACE = /^\p{White_Space}+|\p{White_Space}+$/gu;
const stored = (value: string, multiLine = false) =>
  (multiLine ? value.replace(/\r\n?/g, '\n') : value).normalize('NFC').replace(EDGE_WHITESPACE, '');
// A bound counts characters (code points), as the shop and PostgreSQL do: '🙂' is one, not two.
const characters = (text: string) => [...text].length;
const isText = (value: unknown, max: number, multiLine = false) => {
  if (typeof value !== 'string') return false;
  const text = stored(value, multiLine);
  return characters(text) >= 1 && characters(text) <= max && !(multiLine ? FORBIDDEN_MULTI_LINE : FORBIDDEN_SINGLE_LINE).test(text);
};
const isInt = (value: unknown, min: number, max: number) => Number.isInteger(value) && (value as number) >= min && (value as number) <= max;
const isObject = (value: unknown): value is Args => typeof value === 'object' && value !== null && !Array.isArray(value);
const hasExactly = (value: Args, required: string[], optional: string[] = []) =>
  required.every((key) => key in value) && Object.keys(value).every((key) => required.includes(key) || optional.includes(key));
const titleKey = (title: string) => stored(title).normalize('NFKC').replace(/\s+/gu, ' ').toLowerCase();
const bookWithTitle = (title: unknown) =>
  Object.values(seed.books).find((book) => typeof title === 'string' && titleKey(book.title) === titleKey(title));
/** An ID as the server reads it: a string, or an integer written as one. */
const asId = (value: unknown) => (typeof value === 'string' ? value : Number.isInteger(value) ? String(value) : undefined);
const seedOrder = (id: unknown) => Object.values(seed.orders).find((order) => order.id === asId(id));
const seedDelivery = (id: unknown) => Object.entries(seed.orders).find(([, order]) => order.deliveryId === asId(id));

interface MutationSpec {
  name: string;
  /** The operation's variables and their GraphQL types. */
  variables: Record<string, string>;
  selection: string;
  args: () => fc.Arbitrary<Args>;
  /** The caller who may run it; every other is refused. */
  allowed: (caller: Caller) => boolean;
  judge: (caller: Caller, args: Args) => Verdict;
}

const MUTATIONS: MutationSpec[] = [
  {
    name: 'registerBook',
    variables: { input: 'RegisterBookInput!' },
    selection: '{ id title author publisher stock }',
    args: () =>
      fieldsOf({
        input: inputObject({
          title: titleSlot(),
          author: stringSlot(fc.constantFrom('Frank Herbert', 'Ursula K. Le Guin', '村上春樹')),
          publisher: stringSlot(fc.constantFrom('Chilton', 'Ace', '新潮社')),
          stock: intSlot(0, 1_000_000_000),
        }),
      }),
    allowed: (caller) => caller === 'staff',
    judge: (_, { input }) => {
      if (!isObject(input) || !hasExactly(input, ['title', 'author', 'publisher', 'stock'])) return 'refused';
      const valid =
        isText(input.title, 200) && isText(input.author, 200) && isText(input.publisher, 200) && isInt(input.stock, 0, 1_000_000_000);
      if (!valid || bookWithTitle(input.title)) return 'refused'; // a look-alike of a title: BOOK_ALREADY_EXISTS
      return 'maybe';
    },
  },
  {
    name: 'restockBook',
    variables: { bookId: 'ID!', quantity: 'Int!' },
    selection: '{ id stock }',
    args: () => fieldsOf({ bookId: idSlot(() => Object.values(seed.books).map((book) => book.id)), quantity: intSlot(1, 1_000) }),
    allowed: (caller) => caller === 'staff',
    judge: (_, args) => {
      if (!hasExactly(args, ['bookId', 'quantity']) || !isInt(args.quantity, 1, 1_000)) return 'refused';
      const book = Object.values(seed.books).find((b) => b.id === asId(args.bookId));
      // An unknown book, or one that would hold more than a billion copies.
      if (!book || book.stock + (args.quantity as number) > 1_000_000_000) return 'refused';
      return 'maybe';
    },
  },
  {
    name: 'placeOrder',
    variables: { input: 'PlaceOrderInput!' },
    selection: '{ id status quantity address book { id title stock } }',
    args: () =>
      fieldsOf({
        input: inputObject(
          {
            title: titleSlot(),
            quantity: intSlot(1, 1_000),
            address: stringSlot(fc.constantFrom('1 Arrakis Way', '東京都千代田区1-1', 'ул. Ленина, 1')),
            idempotencyKey: fc.oneof(fc.constant(null), stringSlot(fc.uuid())),
          },
          ['idempotencyKey'],
        ),
      }),
    allowed: (caller) => CUSTOMERS.has(caller),
    judge: (_, { input }) => {
      if (!isObject(input) || !hasExactly(input, ['title', 'quantity', 'address'], ['idempotencyKey'])) return 'refused';
      const key = input.idempotencyKey;
      const keyValid =
        key === undefined ||
        key === null ||
        (typeof key === 'string' && characters(key) >= 1 && characters(key) <= 200 && !FORBIDDEN_SINGLE_LINE.test(key));
      if (!keyValid || !isText(input.title, 200) || !isInt(input.quantity, 1, 1_000) || !isText(input.address, 500)) return 'refused';
      const book = bookWithTitle(input.title);
      // No such book (BOOK_NOT_FOUND), or not enough copies (OUT_OF_STOCK).
      if (!book || book.stock < (input.quantity as number)) return 'refused';
      return 'maybe';
    },
  },
  {
    name: 'cancelOrder',
    variables: { orderId: 'ID!' },
    selection: '{ id status delivery { status } }',
    args: () => fieldsOf({ orderId: idSlot(() => Object.values(seed.orders).map((order) => order.id)) }),
    allowed: (caller) => CUSTOMERS.has(caller),
    judge: (caller, args) => {
      const order = 'orderId' in args && hasExactly(args, ['orderId']) ? seedOrder(args.orderId) : undefined;
      if (!order || order.customer !== caller || order === seed.orders.delivered || order === seed.orders.reviewed) return 'refused';
      return order === seed.orders.cancelled ? 'unchanged' : 'maybe';
    },
  },
  {
    name: 'writeReview',
    variables: { input: 'WriteReviewInput!' },
    selection: '{ id rating content book { id title } order { id status } }',
    args: () =>
      fieldsOf({
        input: inputObject({
          orderId: idSlot(() => Object.values(seed.orders).map((order) => order.id)),
          rating: intSlot(1, 5),
          content: stringSlot(fc.constantFrom('Great.\nWould read again.', 'Meh.\r\nToo long.', 'ラノベ最高 📚', 'Sehr gut.\tJa.')),
        }),
      }),
    allowed: (caller) => CUSTOMERS.has(caller),
    judge: (caller, { input }) => {
      if (!isObject(input) || !hasExactly(input, ['orderId', 'rating', 'content'])) return 'refused';
      if (!isInt(input.rating, 1, 5) || !isText(input.content, 2_000, true)) return 'refused';
      const order = seedOrder(input.orderId);
      // Only the customer's own delivered order, once.
      if (!order || order.customer !== caller || order !== seed.orders.delivered) return 'refused';
      return 'maybe';
    },
  },
  {
    name: 'completeDelivery',
    variables: { deliveryId: 'ID!' },
    selection: '{ id status order { id status } }',
    args: () => fieldsOf({ deliveryId: idSlot(() => Object.values(seed.orders).map((order) => order.deliveryId)) }),
    allowed: (caller) => caller === 'courier',
    judge: (_, args) => {
      const found = 'deliveryId' in args && hasExactly(args, ['deliveryId']) ? seedDelivery(args.deliveryId) : undefined;
      if (!found || found[0] === 'cancelled') return 'refused';
      // Completing a delivered parcel again answers it as it is.
      return found[0] === 'delivered' || found[0] === 'reviewed' ? 'unchanged' : 'maybe';
    },
  },
];

// ——— requests ———

type Mode = 'variables' | 'inline';
interface FuzzCase {
  mutation: MutationSpec;
  caller: Caller;
  mode: Mode;
  args: Args;
  verdict: Verdict;
}

/** A GraphQL literal for a value (inline mode). */
function literal(value: unknown): string {
  if (value instanceof RawLiteral) return value.text;
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return Object.is(value, -0) ? '0' : String(value);
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`;
  return `{${Object.entries(value as Args)
    .map(([key, field]) => `${key}: ${literal(field)}`)
    .join(', ')}}`;
}

const containsRaw = (value: unknown): boolean =>
  value instanceof RawLiteral || (typeof value === 'object' && value !== null && Object.values(value).some(containsRaw));
const containsNonFinite = (value: unknown): boolean =>
  (typeof value === 'number' && !Number.isFinite(value)) ||
  (typeof value === 'object' && value !== null && Object.values(value).some(containsNonFinite));

function requestOf(fuzz: FuzzCase): { query: string; variables?: Args } {
  const { mutation, mode, args } = fuzz;
  if (mode === 'variables') {
    const declared = Object.entries(mutation.variables)
      .map(([name, type]) => `$${name}: ${type}`)
      .join(', ');
    const passed = Object.keys(mutation.variables)
      .map((name) => `${name}: $${name}`)
      .join(', ');
    return { query: `mutation Fuzz(${declared}) { ${mutation.name}(${passed}) ${mutation.selection} }`, variables: args };
  }
  const passed = Object.entries(args)
    .map(([name, value]) => `${name}: ${literal(value)}`)
    .join(', ');
  return { query: `mutation { ${mutation.name}${passed ? `(${passed})` : ''} ${mutation.selection} }` };
}

/** The oracle's verdict for what the server will actually read. */
function judge(mutation: MutationSpec, caller: Caller, mode: Mode, args: Args): Verdict {
  if (!mutation.allowed(caller)) return 'refused';
  if (mode === 'inline') {
    // A raw snippet never fits, and Infinity or NaN are not GraphQL numbers.
    if (containsRaw(args) || containsNonFinite(args)) return 'refused';
    return mutation.judge(caller, args);
  }
  // What JSON carries: NaN and Infinity become null, -0 becomes 0, raw snippets plain strings.
  return mutation.judge(caller, JSON.parse(JSON.stringify(args)) as Args);
}

interface Answer {
  status: number;
  body: string;
  json?: { data?: Record<string, unknown> | null; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
}

async function post(body: string, header: Record<string, string>, contentType = 'application/json'): Promise<Answer> {
  const response = await fetch(shop.url, { method: 'POST', headers: { 'content-type': contentType, ...header }, body });
  const text = await response.text();
  let json: Answer['json'];
  try {
    json = JSON.parse(text) as Answer['json'];
  } catch {
    json = undefined;
  }
  return { status: response.status, body: text, ...(json ? { json } : {}) };
}

/** Every string the caller sent (values and keys), as they may be echoed: a message quoting them leaks nothing. */
function sentStrings(value: unknown, into: string[] = []): string[] {
  if (value instanceof RawLiteral) into.push(value.text);
  else if (typeof value === 'string') into.push(value, stored(value), JSON.stringify(value), JSON.stringify(stored(value)));
  else if (typeof value === 'object' && value !== null) {
    for (const [key, field] of Object.entries(value)) {
      into.push(key);
      sentStrings(field, into);
    }
  }
  return into;
}

/** What is wrong with an answer, or nothing. */
function problemsOf(answer: Answer, verdict: Verdict | 'transport', sent: unknown): string[] {
  const problems: string[] = [];
  if (answer.status === 500 || (answer.status > 500 && answer.status !== 503)) problems.push(`HTTP ${answer.status}`);
  if (!answer.json) {
    if (answer.status < 400 || answer.status >= 500)
      problems.push(`HTTP ${answer.status} without a GraphQL answer: ${answer.body.slice(0, 200)}`);
    return problems;
  }
  const errors = answer.json.errors ?? [];
  const echoes = [...sentStrings(sent), ...Object.values(seed.books).map((book) => book.title)]
    .filter((s) => s.length > 0)
    .sort((a, b) => b.length - a.length);
  for (const error of errors) {
    const code = error.extensions?.code;
    if (typeof code !== 'string' || !KNOWN_CODES.has(code)) problems.push(`unknown code ${String(code)}: ${error.message.slice(0, 200)}`);
    if (error.extensions && ('stacktrace' in error.extensions || 'exception' in error.extensions))
      problems.push('a stack trace in extensions');
    let said = `${error.message} ${JSON.stringify({ ...error.extensions, code: undefined })}`;
    for (const echo of echoes) said = said.split(echo).join('…');
    for (const [what, pattern] of LEAKS) if (pattern.test(said)) problems.push(`${what} in an answer: ${said.slice(0, 300)}`);
  }
  if (answer.status === 503 && !errors.some((error) => error.extensions?.code === 'SERVICE_UNAVAILABLE'))
    problems.push('HTTP 503 without SERVICE_UNAVAILABLE');
  if (verdict === 'refused' || verdict === 'transport') {
    const data = answer.json.data;
    const gotData = data && Object.values(data).some((value) => value !== null);
    if (errors.length === 0 || gotData) problems.push(`accepted, though the contract refuses it: ${answer.body.slice(0, 300)}`);
  }
  return problems;
}

async function inPool<T>(items: T[], run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < items.length) await run(items[next++]!);
    }),
  );
}

const describeCase = (fuzz: FuzzCase) =>
  `${fuzz.mutation.name} as ${fuzz.caller} (${fuzz.mode}, judged ${fuzz.verdict}): ${JSON.stringify(fuzz.args, (_, v) => (typeof v === 'string' && v.length > 120 ? `${v.slice(0, 120)}…(${v.length})` : v))}`;

// ——— the run ———

beforeAll(async () => {
  shop = await startShop();
  const [alice, bob, staff, courier, service, forged] = await Promise.all([
    tokenFor('customer', 'fuzz-alice'),
    tokenFor('customer', 'fuzz-bob'),
    tokenFor('staff', 'fuzz-staff'),
    tokenFor('courier', 'fuzz-courier'),
    // A user token claiming the role of a service: the shop must not believe it.
    tokenFor('service' as Role, 'order'),
    tokenFor('staff', 'mallory', 'a-secret-that-is-not-the-shops-secret-at-all'),
  ]);
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  Object.assign(headers, {
    anonymous: {},
    alice: bearer(alice),
    bob: bearer(bob),
    staff: bearer(staff),
    courier: bearer(courier),
    service: bearer(service),
    forged: bearer(forged),
    tampered: bearer(`${staff.slice(0, -4)}AAAA`),
    garbled: { authorization: 'Bearer e30.e30.AAAA trailing' },
    basic: { authorization: 'Basic c3RhZmY6c3RhZmY=' },
  } satisfies Record<Caller, Record<string, string>>);
  seed = await seedShop();
}, 180_000);
afterAll(async () => {
  if (process.env.SHOW_SHOP_LOGS) console.log(shop?.logs().join('\n'));
  await shop?.stop();
});

describe('requests the fuzz found answered with a 500 or INTERNAL_SERVER_ERROR', () => {
  const registerBookText = 'mutation Register { registerBook(input: {title: "Never", author: "A", publisher: "P", stock: 1}) { id } }';

  it('an operationName that names no operation of the document, or none among several: 400 BAD_REQUEST', async () => {
    for (const request of [
      { query: registerBookText, operationName: 'Nope' },
      { query: `${registerBookText} query Books { books { id } }` },
    ]) {
      const answer = await post(JSON.stringify(request), headers.staff);
      expect(answer.status).toBe(400);
      expect(answer.json?.errors?.map((error) => error.extensions?.code)).toEqual(['BAD_REQUEST']);
    }
  });

  it('an order or review id with an unpaired surrogate (Prisma fails on it): ORDER_NOT_FOUND, and no review', async () => {
    const review = await post(
      JSON.stringify({
        query: 'mutation($i: WriteReviewInput!) { writeReview(input: $i) { id } }',
        variables: { i: { orderId: 'x\udfff', rating: 2, content: 'Fine.' } },
      }),
      headers.alice,
    );
    expect(review.json?.errors?.map((error) => error.extensions?.code)).toEqual(['ORDER_NOT_FOUND']);
    const query = await post(
      JSON.stringify({ query: 'query($id: ID!) { review(id: $id) { id } }', variables: { id: '\ud800' } }),
      headers.alice,
    );
    expect(query.json).toEqual({ data: { review: null } });
  });

  it('a persisted query whose hash does not match its text: 400 BAD_REQUEST', async () => {
    const answer = await post(
      JSON.stringify({ query: registerBookText, extensions: { persistedQuery: { version: 1, sha256Hash: 'b'.repeat(64) } } }),
      headers.staff,
    );
    expect(answer.status).toBe(400);
    expect(answer.json?.errors).toEqual([{ message: 'provided sha does not match query', extensions: { code: 'BAD_REQUEST' } }]);
  });
});

describe(`fuzzing every mutation through the router (FUZZ_SEED=${SEED})`, () => {
  it(
    'answers every input with a known code and no leak; a refusal changes no database',
    async () => {
      const started = Date.now();
      const cases: FuzzCase[] = MUTATIONS.flatMap((mutation, index) => {
        const caller = fc.oneof(
          { weight: 3, arbitrary: fc.constantFrom(...CALLERS.filter(mutation.allowed)) },
          { weight: 2, arbitrary: fc.constantFrom(...CALLERS) },
        );
        const arbitrary = fc.tuple(caller, fc.constantFrom<Mode>('variables', 'variables', 'inline'), mutation.args());
        return fc.sample(arbitrary, { numRuns: RUNS, seed: SEED + index }).map(([who, mode, args]) => ({
          mutation,
          caller: who,
          mode,
          args,
          verdict: judge(mutation, who, mode, args),
        }));
      });

      const failures: string[] = [];
      const fail = (fuzz: FuzzCase | string, problems: string[]) => {
        if (problems.length && failures.length < 40)
          failures.push(`${typeof fuzz === 'string' ? fuzz : describeCase(fuzz)}\n    → ${problems.join('\n    → ')}`);
      };
      const codes = new Map<string, Map<string, number>>();
      const count = (name: string, code: string) => {
        const byCode = codes.get(name) ?? new Map<string, number>();
        byCode.set(code, (byCode.get(code) ?? 0) + 1);
        codes.set(name, byCode);
      };
      const send = async (fuzz: FuzzCase) => {
        const request = requestOf(fuzz);
        const answer = await post(JSON.stringify(request), headers[fuzz.caller]);
        fail(fuzz, problemsOf(answer, fuzz.verdict, fuzz.args));
        const first = answer.json?.errors?.[0]?.extensions?.code;
        count(fuzz.mutation.name, typeof first === 'string' ? first : answer.json?.errors ? 'no code' : 'accepted');
      };

      // 1. What must be refused (or answered without change), in batches between fingerprints.
      const refusals = cases.filter((fuzz) => fuzz.verdict !== 'maybe');
      let baseline = await settledFingerprint();
      for (let from = 0; from < refusals.length; from += BATCH) {
        const batch = refusals.slice(from, from + BATCH);
        await inPool(batch, send);
        const after = await fingerprint();
        const changed = changedTables(baseline, after);
        if (changed.length) {
          fail(`a batch of ${batch.length} refusals (${[...new Set(batch.map((fuzz) => fuzz.mutation.name))].join(', ')})`, [
            `changed ${changed.join(', ')}`,
          ]);
          baseline = await settledFingerprint();
        }
      }

      // 2. Transport oddities: no answer to them is a 500, and none is accepted.
      const mutationText = `mutation { registerBook(input: {title: "T ${randomUUID()}", author: "A", publisher: "P", stock: 1}) { id } }`;
      const oddities: Array<[string, () => Promise<Answer>]> = [
        ['a body that is not JSON', () => post('{"query": "mutation {', headers.staff)],
        ['an empty body', () => post('', headers.staff)],
        ['a query that is a number', () => post('{"query": 5}', headers.staff)],
        ['no query', () => post('{"variables": {}}', headers.staff)],
        ['variables that are a string', () => post(JSON.stringify({ query: mutationText, variables: 'x' }), headers.staff)],
        ['variables that are a list', () => post(JSON.stringify({ query: mutationText, variables: [1] }), headers.staff)],
        ['an operation name that is a number', () => post(JSON.stringify({ query: mutationText, operationName: 5 }), headers.staff)],
        ['an operation name that names nothing', () => post(JSON.stringify({ query: mutationText, operationName: 'Nope' }), headers.staff)],
        ['a batch of operations', () => post(JSON.stringify([{ query: mutationText }, { query: mutationText }]), headers.staff)],
        [
          'an unknown persisted query',
          () => post(JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } } }), headers.staff),
        ],
        [
          'a persisted query hash that does not match',
          () =>
            post(
              JSON.stringify({ query: mutationText, extensions: { persistedQuery: { version: 1, sha256Hash: 'b'.repeat(64) } } }),
              headers.staff,
            ),
        ],
        ['a form post (CSRF)', () => post(`query=${encodeURIComponent(mutationText)}`, headers.staff, 'application/x-www-form-urlencoded')],
        ['text/plain (CSRF)', () => post(JSON.stringify({ query: mutationText }), headers.staff, 'text/plain')],
        [
          'a mutation over GET',
          async () => {
            const response = await fetch(`${shop.url}?query=${encodeURIComponent(mutationText)}`, {
              headers: { ...headers.staff, 'apollo-require-preflight': '1' },
            });
            const body = await response.text();
            return { status: response.status, body, ...(body.startsWith('{') ? { json: JSON.parse(body) as Answer['json'] } : {}) };
          },
        ],
        [
          'a deeply nested input',
          () =>
            post(
              JSON.stringify({ query: `mutation { registerBook(input: ${'{a: '.repeat(500)}1${'}'.repeat(500)}) { id } }` }),
              headers.staff,
            ),
        ],
        [
          'a 2 MB variable',
          () =>
            post(
              JSON.stringify({
                query: 'mutation($i: RegisterBookInput!) { registerBook(input: $i) { id } }',
                variables: { i: { title: 'x'.repeat(2_000_000), author: 'A', publisher: 'P', stock: 1 } },
              }),
              headers.staff,
            ),
        ],
        [
          'two mutations, the first refused',
          () =>
            post(
              JSON.stringify({
                query: `mutation { a: restockBook(bookId: "${randomUUID()}", quantity: 1) { id } b: restockBook(bookId: "${seed.books.empty.id}", quantity: 0) { id } }`,
              }),
              headers.staff,
            ),
        ],
      ];
      const before = await fingerprint();
      for (const [what, run] of oddities) {
        const answer = await run();
        fail(what, problemsOf(answer, 'transport', {}));
        count('transport', (answer.json?.errors?.[0]?.extensions?.code as string) ?? `HTTP ${answer.status}`);
      }
      const changedByOddities = changedTables(before, await fingerprint());
      if (changedByOddities.length) fail('the transport oddities', [`changed ${changedByOddities.join(', ')}`]);

      // 3. What may be accepted: real effects, so only the answers are checked.
      const maybes = cases.filter((fuzz) => fuzz.verdict === 'maybe');
      await inPool(maybes, send);
      // The fingerprints see real changes: what the accepted inputs did shows in them.
      const accepted = [...codes.values()].reduce((sum, byCode) => sum + (byCode.get('accepted') ?? 0), 0);
      if (accepted > 0 && changedTables(baseline, await settledFingerprint()).length === 0) {
        fail(`${accepted} accepted inputs`, ['changed no fingerprint: the database comparison sees nothing']);
      }

      const seconds = ((Date.now() - started) / 1_000).toFixed(1);
      console.log(
        [
          `fuzz (FUZZ_SEED=${SEED}, ${seconds} s, ${cases.length + oddities.length} requests):`,
          ...MUTATIONS.map((mutation) => {
            const own = cases.filter((fuzz) => fuzz.mutation === mutation);
            const verdicts = (verdict: Verdict) => own.filter((fuzz) => fuzz.verdict === verdict).length;
            const inline = own.filter((fuzz) => fuzz.mode === 'inline').length;
            const answers = [...(codes.get(mutation.name) ?? [])]
              .sort((a, b) => b[1] - a[1])
              .map(([code, n]) => `${code} ${n}`)
              .join(', ');
            return `  ${mutation.name}: ${own.length} inputs (${own.length - inline} as variables, ${inline} inline; ${verdicts('refused')} must be refused, ${verdicts('unchanged')} change nothing, ${verdicts('maybe')} may pass) → ${answers}`;
          }),
          `  transport oddities: ${oddities.length} → ${[...(codes.get('transport') ?? [])].map(([code, n]) => `${code} ${n}`).join(', ')}`,
        ].join('\n'),
      );
      expect(failures, `FUZZ_SEED=${SEED}: ${failures.length} problem(s):\n${failures.join('\n')}`).toEqual([]);
    },
    60_000 + RUNS * 100,
  );
});
