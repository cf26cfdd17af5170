/**
 * A wire-level fake of the Stripe REST API over node:http: the subset the Stripe pusher
 * (workspace-node/billing/stripe/) speaks through the official `stripe` SDK — customers (create,
 * search by metadata), products (create with an id, retrieve), prices (create, list by lookup key),
 * subscriptions (create, update, list), invoices (create, list, retrieve, finalize) and invoice
 * items (create, list by invoice). Bodies are form-encoded as the SDK sends them
 * (`metadata[k]=v`, `items[0][price]=…`), answers are JSON in Stripe's object shapes, lists
 * paginate with `limit`/`starting_after`, errors come in Stripe's `{ error: { type, code, message } }`
 * shape, and `Idempotency-Key` is honoured like Stripe does it: a repeat of a key answers the first
 * answer again (header `Idempotent-Replayed: true`), a repeat with other parameters is a 400
 * `idempotency_error`.
 *
 * Test levers: `failNext(path, status, times)` answers matching requests with a Stripe error before
 * doing anything; `dropNextAnswer(path)` does the work and then never answers, so the client
 * times out (the answer lost in a crash); `requests` records every request; `objects(kind)` lists
 * what was made; `invoiceEvent(type, id)` settles an invoice (`invoice.paid` /
 * `invoice.payment_failed`) and returns the event Stripe would send. {@link sendStripeWebhook}
 * posts an event to a URL signed with the SDK's `generateTestHeaderString`.
 *
 * @example
 *   const fake = await startStripeWire();
 *   const pusher = stripeInvoicePusher({ secretKey: fake.secretKey, apiBase: fake.apiBase });
 *   await fake.close();
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';

type Obj = Record<string, unknown>;
type Kind = 'customer' | 'product' | 'price' | 'subscription' | 'invoice' | 'invoiceitem' | 'event';
const PREFIX: Record<Kind, string> = {
  customer: 'cus',
  product: 'prod',
  price: 'price',
  subscription: 'sub',
  invoice: 'in',
  invoiceitem: 'ii',
  event: 'evt',
};

export interface StripeWireRequest {
  readonly method: string;
  readonly path: string;
  readonly idempotencyKey?: string;
  readonly replayed: boolean;
  readonly params: Obj;
}

export interface StripeWire {
  /** `http://127.0.0.1:<port>` (MOE_STRIPE_API_BASE) */
  readonly endpoint: string;
  /** the SDK's host/port/protocol options for this fake */
  readonly apiBase: { host: string; port: number; protocol: 'http' };
  /** the only key the fake accepts (`Authorization: Bearer …`) */
  readonly secretKey: string;
  readonly requests: StripeWireRequest[];
  /** the objects of a kind, oldest first */
  objects(kind: Kind): Obj[];
  /** answer the next `times` requests whose path matches with a Stripe error of `status` */
  failNext(path: RegExp, status: number, times?: number): void;
  /** do the next matching POST, then never answer it (the client times out) */
  dropNextAnswer(path: RegExp): void;
  /** settles the invoice and returns the event Stripe would send for it */
  invoiceEvent(type: 'invoice.paid' | 'invoice.payment_failed', invoiceId: string): Obj;
  close(): Promise<void>;
}

class StripeFail extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly code?: string,
    readonly param?: string,
  ) {
    super(message);
  }
}

const missing = (kind: string, id: string) =>
  new StripeFail(404, 'invalid_request_error', `No such ${kind}: '${id}'`, 'resource_missing', 'id');

/** Stripe's form encoding (`a[b][0][c]=v`) into nested objects; all-numeric keys become arrays. */
export function parseStripeForm(text: string): Obj {
  const root: Obj = {};
  for (const [rawKey, value] of new URLSearchParams(text)) {
    const path = rawKey.split('[').map((p) => p.replace(/]$/, ''));
    let node: Obj = root;
    path.forEach((seg, i) => {
      const k = seg === '' ? String(Object.keys(node).length) : seg;
      if (i === path.length - 1) node[k] = value;
      else node = (node[k] ??= {}) as Obj;
    });
  }
  const arrays = (v: unknown): unknown => {
    if (typeof v !== 'object' || v === null) return v;
    const o = v as Obj;
    const keys = Object.keys(o);
    const mapped = Object.fromEntries(keys.map((k) => [k, arrays(o[k])]));
    return keys.length > 0 && keys.every((k) => /^\d+$/.test(k))
      ? keys.sort((a, b) => Number(a) - Number(b)).map((k) => mapped[k])
      : mapped;
  };
  return arrays(root) as Obj;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const int = (v: unknown): number | undefined => (typeof v === 'string' && v !== '' ? Number(v) : undefined);
const meta = (v: unknown): Record<string, string> =>
  typeof v === 'object' && v ? (v as Record<string, string>) : {};

export async function startStripeWire(opts: { secretKey?: string } = {}): Promise<StripeWire> {
  const secretKey = opts.secretKey ?? 'sk_test_moe_fake_0123456789';
  const store: Record<Kind, Map<string, Obj>> = {
    customer: new Map(),
    product: new Map(),
    price: new Map(),
    subscription: new Map(),
    invoice: new Map(),
    invoiceitem: new Map(),
    event: new Map(),
  };
  const idempotent = new Map<string, { fingerprint: string; status: number; body: string }>();
  const requests: StripeWireRequest[] = [];
  const failures: { path: RegExp; status: number; times: number }[] = [];
  const drops: RegExp[] = [];
  let seq = 0;
  let endpoint = '';
  const now = () => Math.floor(Date.now() / 1000);

  const create = (kind: Kind, fields: Obj, id?: string): Obj => {
    const o: Obj = {
      id: id ?? `${PREFIX[kind]}_fake${String(++seq).padStart(8, '0')}`,
      object: kind,
      livemode: false,
      created: now(),
      ...fields,
    };
    store[kind].set(o.id as string, o);
    return o;
  };
  const get = (kind: Kind, id: string): Obj => {
    const o = store[kind].get(id);
    if (!o) throw missing(kind, id);
    return o;
  };
  /** a Stripe list: newest first, `limit` (default 10) after `starting_after` */
  const list = (url: string, all: Obj[], params: Obj): Obj => {
    const newest = [...all].reverse();
    const after = str(params.starting_after);
    const from = after ? newest.findIndex((o) => o.id === after) + 1 : 0;
    const limit = int(params.limit) ?? 10;
    const data = newest.slice(from, from + limit);
    return { object: 'list', url, data, has_more: from + limit < newest.length };
  };

  const invoiceTotals = (inv: Obj) => {
    const lines = [...store.invoiceitem.values()].filter((i) => i.invoice === inv.id);
    const total = lines.reduce((a, i) => a + (i.amount as number), 0);
    const due = Math.max(0, total);
    const paid = inv.status === 'paid' ? due : 0;
    Object.assign(inv, {
      subtotal: total,
      total,
      amount_due: due,
      amount_paid: paid,
      amount_remaining: due - paid,
      lines: {
        object: 'list',
        url: `/v1/invoices/${inv.id as string}/lines`,
        has_more: false,
        data: lines.map((i) => ({
          id: `il_${(i.id as string).slice(3)}`,
          object: 'line_item',
          amount: i.amount,
          currency: i.currency,
          description: i.description,
          metadata: i.metadata,
          period: i.period,
          quantity: 1,
        })),
      },
    });
    return inv;
  };

  const route = (method: string, path: string, params: Obj): [number, Obj] => {
    let m: RegExpExecArray | null;
    // customers
    if (method === 'GET' && path === '/v1/customers/search') {
      const q = /^metadata\['([^']+)'\]:'([^']*)'$/.exec(str(params.query) ?? '');
      if (!q)
        throw new StripeFail(
          400,
          'invalid_request_error',
          'the fake only searches one metadata field',
          undefined,
          'query',
        );
      const data = [...store.customer.values()].filter((c) => meta(c.metadata)[q[1]!] === q[2]);
      return [200, { object: 'search_result', url: path, data, has_more: false, next_page: null }];
    }
    if (method === 'POST' && path === '/v1/customers')
      return [
        200,
        create('customer', {
          name: str(params.name) ?? null,
          description: str(params.description) ?? null,
          email: null,
          metadata: meta(params.metadata),
        }),
      ];
    if (method === 'GET' && (m = /^\/v1\/customers\/([^/]+)$/.exec(path)))
      return [200, get('customer', m[1]!)];
    // products
    if (method === 'POST' && path === '/v1/products') {
      const id = str(params.id);
      if (id && store.product.has(id))
        throw new StripeFail(
          400,
          'invalid_request_error',
          `Product already exists.`,
          'resource_already_exists',
          'id',
        );
      return [
        200,
        create('product', { active: true, name: str(params.name), metadata: meta(params.metadata) }, id),
      ];
    }
    if (method === 'GET' && (m = /^\/v1\/products\/([^/]+)$/.exec(path))) return [200, get('product', m[1]!)];
    // prices
    if (method === 'POST' && path === '/v1/prices') {
      const product = get('product', str(params.product) ?? '');
      const lookup = str(params.lookup_key);
      if (lookup && [...store.price.values()].some((p) => p.lookup_key === lookup))
        throw new StripeFail(
          400,
          'invalid_request_error',
          `A price with lookup_key ${lookup} already exists`,
          'lookup_key_already_exists',
          'lookup_key',
        );
      const recurring = params.recurring as Obj | undefined;
      const unit = int(params.unit_amount) ?? 0;
      return [
        200,
        create('price', {
          active: true,
          currency: str(params.currency),
          product: product.id,
          unit_amount: unit,
          unit_amount_decimal: String(unit),
          lookup_key: lookup ?? null,
          type: recurring ? 'recurring' : 'one_time',
          recurring: recurring
            ? { interval: str(recurring.interval), interval_count: 1, usage_type: 'licensed' }
            : null,
          metadata: meta(params.metadata),
        }),
      ];
    }
    if (method === 'GET' && path === '/v1/prices') {
      const keys = (params.lookup_keys as string[] | undefined) ?? null;
      const all = [...store.price.values()].filter(
        (p) =>
          (!keys || keys.includes(p.lookup_key as string)) &&
          (params.active === undefined || String(p.active) === params.active),
      );
      return [200, list(path, all, params)];
    }
    // subscriptions
    const subscriptionItems = (sub: Obj, items: Obj[]) => ({
      object: 'list',
      url: `/v1/subscription_items?subscription=${sub.id as string}`,
      has_more: false,
      data: items.map((it, i) => ({
        id: `si_${(sub.id as string).slice(4)}_${i}`,
        object: 'subscription_item',
        price: get('price', str(it.price) ?? ''),
        quantity: 1,
        subscription: sub.id,
      })),
    });
    if (method === 'POST' && path === '/v1/subscriptions') {
      get('customer', str(params.customer) ?? '');
      const sub = create('subscription', {
        customer: str(params.customer),
        status: 'active',
        collection_method: str(params.collection_method) ?? 'charge_automatically',
        days_until_due: int(params.days_until_due) ?? null,
        metadata: meta(params.metadata),
      });
      sub.items = subscriptionItems(sub, (params.items as Obj[] | undefined) ?? []);
      return [200, sub];
    }
    if (method === 'POST' && (m = /^\/v1\/subscriptions\/([^/]+)$/.exec(path))) {
      const sub = get('subscription', m[1]!);
      if (params.items) sub.items = subscriptionItems(sub, params.items as Obj[]);
      if (params.metadata) sub.metadata = { ...meta(sub.metadata), ...meta(params.metadata) };
      return [200, sub];
    }
    if (method === 'GET' && path === '/v1/subscriptions') {
      const all = [...store.subscription.values()].filter(
        (s) =>
          (!params.customer || s.customer === params.customer) &&
          (params.status === 'all' || (params.status ? s.status === params.status : s.status !== 'canceled')),
      );
      return [200, list(path, all, params)];
    }
    // invoices
    if (method === 'POST' && path === '/v1/invoices') {
      get('customer', str(params.customer) ?? '');
      return [
        200,
        invoiceTotals(
          create('invoice', {
            customer: str(params.customer),
            status: 'draft',
            currency: str(params.currency) ?? 'usd',
            collection_method: str(params.collection_method) ?? 'charge_automatically',
            days_until_due: int(params.days_until_due) ?? null,
            auto_advance: params.auto_advance === 'true',
            description: str(params.description) ?? null,
            metadata: meta(params.metadata),
            number: null,
            hosted_invoice_url: null,
            attempt_count: 0,
          }),
        ),
      ];
    }
    if (method === 'GET' && path === '/v1/invoices') {
      const all = [...store.invoice.values()].filter(
        (i) => !params.customer || i.customer === params.customer,
      );
      return [200, list(path, all.map(invoiceTotals), params)];
    }
    if (method === 'GET' && (m = /^\/v1\/invoices\/([^/]+)$/.exec(path)))
      return [200, invoiceTotals(get('invoice', m[1]!))];
    if (method === 'POST' && (m = /^\/v1\/invoices\/([^/]+)\/finalize$/.exec(path))) {
      const inv = invoiceTotals(get('invoice', m[1]!));
      if (inv.status !== 'draft')
        throw new StripeFail(
          400,
          'invalid_request_error',
          `This invoice is already finalized, you can't re-finalize a non-draft invoice.`,
          'invoice_unexpected_state',
        );
      Object.assign(inv, {
        status: inv.amount_due === 0 ? 'paid' : 'open',
        number: `MOE-${String(store.invoice.size).padStart(4, '0')}`,
        hosted_invoice_url: `${endpoint}/i/${inv.id as string}`,
        invoice_pdf: `${endpoint}/i/${inv.id as string}/pdf`,
        status_transitions: { finalized_at: now() },
      });
      return [200, invoiceTotals(inv)];
    }
    // invoice items
    if (method === 'POST' && path === '/v1/invoiceitems') {
      get('customer', str(params.customer) ?? '');
      const invoiceId = str(params.invoice);
      if (invoiceId && get('invoice', invoiceId).status !== 'draft')
        throw new StripeFail(
          400,
          'invalid_request_error',
          'You can only add invoice items to draft invoices.',
          'invoice_not_editable',
          'invoice',
        );
      const amount = int(params.amount);
      if (amount === undefined || !Number.isSafeInteger(amount))
        throw new StripeFail(
          400,
          'invalid_request_error',
          'Invalid integer: amount',
          'parameter_invalid_integer',
          'amount',
        );
      const period = params.period as Obj | undefined;
      return [
        200,
        create('invoiceitem', {
          customer: str(params.customer),
          invoice: invoiceId ?? null,
          amount,
          currency: str(params.currency),
          description: str(params.description) ?? null,
          metadata: meta(params.metadata),
          period: period ? { start: int(period.start), end: int(period.end) } : { start: now(), end: now() },
          quantity: 1,
          date: now(),
        }),
      ];
    }
    if (method === 'GET' && path === '/v1/invoiceitems') {
      const all = [...store.invoiceitem.values()].filter(
        (i) => !params.invoice || i.invoice === params.invoice,
      );
      return [200, list(path, all, params)];
    }
    throw new StripeFail(404, 'invalid_request_error', `Unrecognized request URL (${method}: ${path}).`);
  };

  const send = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, {
      'content-type': 'application/json',
      'request-id': `req_fake${++seq}`,
      ...headers,
    });
    res.end(body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    const params = parseStripeForm(method === 'GET' ? url.search.slice(1) : raw);
    const key =
      typeof req.headers['idempotency-key'] === 'string' ? req.headers['idempotency-key'] : undefined;
    const fingerprint = `${method} ${url.pathname} ${raw}`;
    const earlier = key && method === 'POST' ? idempotent.get(key) : undefined;
    requests.push({
      method,
      path: url.pathname,
      ...(key ? { idempotencyKey: key } : {}),
      replayed: !!earlier,
      params,
    });

    const error = (f: StripeFail) =>
      send(
        res,
        f.status,
        JSON.stringify({
          error: {
            type: f.type,
            message: f.message,
            ...(f.code ? { code: f.code } : {}),
            ...(f.param ? { param: f.param } : {}),
          },
        }),
      );
    if (req.headers.authorization !== `Bearer ${secretKey}`)
      return error(new StripeFail(401, 'invalid_request_error', 'Invalid API Key provided.'));
    const failure = failures.find((f) => f.times > 0 && f.path.test(url.pathname));
    if (failure) {
      failure.times -= 1;
      return error(
        new StripeFail(
          failure.status,
          failure.status === 429 ? 'rate_limit_error' : 'api_error',
          `fake failure ${failure.status}`,
        ),
      );
    }
    if (earlier) {
      if (earlier.fingerprint !== fingerprint)
        return error(
          new StripeFail(
            400,
            'idempotency_error',
            `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
          ),
        );
      return send(res, earlier.status, earlier.body, {
        'idempotent-replayed': 'true',
        'idempotency-key': key!,
      });
    }
    let status: number;
    let body: string;
    try {
      const [s, o] = route(method, url.pathname, params);
      status = s;
      body = JSON.stringify(o);
    } catch (err) {
      if (!(err instanceof StripeFail)) throw err;
      status = err.status;
      body = JSON.stringify({
        error: {
          type: err.type,
          message: err.message,
          ...(err.code ? { code: err.code } : {}),
          ...(err.param ? { param: err.param } : {}),
        },
      });
    }
    // Stripe stores the outcome of a keyed request unless it was a 5xx
    if (key && method === 'POST' && status < 500) idempotent.set(key, { fingerprint, status, body });
    const drop = method === 'POST' ? drops.findIndex((d) => d.test(url.pathname)) : -1;
    if (drop >= 0) {
      // never answered: the client times out, as when the answer is lost in a crash (a reset
      // connection would be retried at once by the SDK with the same key, and replayed)
      drops.splice(drop, 1);
      return;
    }
    send(res, status, body, key ? { 'idempotency-key': key } : {});
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) =>
      send(res, 500, JSON.stringify({ error: { type: 'api_error', message: String(err) } })),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  endpoint = `http://127.0.0.1:${port}`;

  return {
    endpoint,
    apiBase: { host: '127.0.0.1', port, protocol: 'http' },
    secretKey,
    requests,
    objects: (kind) => [...store[kind].values()].map((o) => (kind === 'invoice' ? invoiceTotals(o) : o)),
    failNext: (path, status, times = 1) => void failures.push({ path, status, times }),
    dropNextAnswer: (path) => void drops.push(path),
    invoiceEvent(type, invoiceId) {
      const inv = invoiceTotals(get('invoice', invoiceId));
      if (type === 'invoice.paid') inv.status = 'paid';
      else inv.attempt_count = (inv.attempt_count as number) + 1;
      return create('event', {
        api_version: Stripe.API_VERSION,
        type,
        data: { object: invoiceTotals(inv) },
        pending_webhooks: 1,
        request: { id: null, idempotency_key: null },
      });
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/**
 * Posts a Stripe event to `url` as Stripe does: the JSON body and a `Stripe-Signature` header made
 * with the SDK's `generateTestHeaderString` (the same scheme `constructEvent` verifies). `secret`
 * signs it; pass a wrong one (or `signature: null` for none) to see the route refuse it.
 */
export async function sendStripeWebhook(
  url: string,
  secret: string,
  event: Obj,
  opts: { signature?: string | null } = {},
): Promise<{ status: number; body: Obj }> {
  const payload = JSON.stringify(event);
  const signature =
    opts.signature === undefined
      ? Stripe.webhooks.generateTestHeaderString({ payload, secret })
      : opts.signature;
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(signature !== null ? { 'stripe-signature': signature } : {}),
    },
    body: payload,
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as Obj };
}
