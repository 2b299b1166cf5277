/**
 * The Node server's metrics in Prometheus' text format (prom-client), served on a port of their
 * own (METRICS_PORT), never the API's: what the counters reveal about traffic is for the
 * operator. Labels are only fixed words (an outcome, a route's declared path, a limit's name),
 * so no id, address or secret can reach a label. Levels (stored notices, mailbox messages,
 * storage, the writer's queue) are read when Prometheus scrapes, not kept up to date by hand.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AppObserver } from '../../http/observer.ts';
import type { WebhookSend } from '../../notify/webhook.ts';
import type { SqlExecutor } from '../../storage/sql-executor.ts';

/** Where the scrape-time levels come from. */
export interface MetricSources {
  /** Subscriptions open now. */
  readonly subscriptions: () => number;
  /** The database file's size, in bytes. */
  readonly storageBytes: () => Promise<number | undefined>;
  /** STORAGE_BUDGET_MB in bytes; 0 for none. */
  readonly storageBudgetBytes: number;
  /** The writer thread's unanswered requests and how long the oldest has waited (ms); none on :memory:. */
  readonly writer?: { readonly depth: number; readonly waitingMs: number };
  /** Reads the notice, mailbox and chunk tables' totals. */
  readonly sql: SqlExecutor;
  /** Unix seconds now: expired rows awaiting pruning are not counted. */
  readonly nowSeconds: () => number;
}

/** Query latency buckets, in seconds: from a cached page to an owner waiting out a busy writer. */
const QUERY_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class NodeMetrics {
  readonly registry = new Registry();
  readonly observer: AppObserver;
  readonly #webhooks: Counter<'outcome'>;

  constructor(sources: MetricSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    const reports = new Counter({
      name: 'crowdfind_reports_total',
      help: 'Uploaded reports: accepted (new), duplicate (already stored), rejected (per-id daily cap)',
      labelNames: ['outcome'],
      registers,
    });
    const queries = new Histogram({
      name: 'crowdfind_query_seconds',
      help: 'Owner queries by route and HTTP status, and how long each took, its wait for a turn included',
      labelNames: ['route', 'status'],
      buckets: QUERY_SECONDS,
      registers,
    });
    const refused = new Counter({
      name: 'crowdfind_rate_limited_total',
      help: 'Requests refused with 429 by a rate limit: uploads, queries, reports',
      labelNames: ['limit'],
      registers,
    });
    this.#webhooks = new Counter({
      name: 'crowdfind_webhook_attempts_total',
      help: 'Webhook POSTs: delivered (2xx) or failed (another status, no answer); failures are retried',
      labelNames: ['outcome'],
      registers,
    });
    for (const outcome of ['accepted', 'duplicate', 'rejected']) reports.inc({ outcome }, 0);
    for (const limit of ['uploads', 'queries', 'reports']) refused.inc({ limit }, 0);
    for (const outcome of ['delivered', 'failed']) this.#webhooks.inc({ outcome }, 0);
    this.observer = {
      reportsStored({ accepted, duplicates, rejected }) {
        reports.inc({ outcome: 'accepted' }, accepted);
        reports.inc({ outcome: 'duplicate' }, duplicates);
        reports.inc({ outcome: 'rejected' }, rejected);
      },
      queried: (route, status, seconds) => queries.observe({ route, status: String(status) }, seconds),
      rateLimited: (limit) => refused.inc({ limit }),
    };
    levelGauges(registers, sources);
  }

  /** `send`, counted: each attempt delivered or failed. */
  countedWebhooks(send: WebhookSend): WebhookSend {
    return async (url, body, headers) => {
      try {
        const status = await send(url, body, headers);
        this.#webhooks.inc({ outcome: status >= 200 && status < 300 ? 'delivered' : 'failed' });
        return status;
      } catch (error) {
        this.#webhooks.inc({ outcome: 'failed' });
        throw error;
      }
    };
  }

  /**
   * Serves GET /metrics on its own listener; resolves to its URL and a close.
   * @example const { url, close } = await metrics.listen(9464, '127.0.0.1');
   */
  async listen(port: number, host: string): Promise<{ url: string; close: () => Promise<void> }> {
    const server: Server = createServer((request, response) => {
      if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics here\n');
        return;
      }
      this.registry.metrics().then(
        (text) => response.writeHead(200, { 'content-type': this.registry.contentType }).end(text),
        (error: Error) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`${error.message}\n`),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const { port: bound } = server.address() as AddressInfo;
    return {
      url: `http://${host}:${bound}/metrics`,
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  }
}

/** The levels read at each scrape. */
function levelGauges(registers: Registry[], sources: MetricSources): void {
  new Gauge({
    name: 'crowdfind_subscriptions',
    help: 'Notify-when-found subscriptions open now',
    registers,
    collect() {
      this.set(sources.subscriptions());
    },
  });
  const counted = (name: string, help: string, sql: string) =>
    new Gauge({
      name,
      help,
      registers,
      async collect() {
        const [rows] = await sources.sql.batch<{ n: number }>([{ sql, params: [sources.nowSeconds()] }]);
        this.set(Number(rows![0]!.n));
      },
    });
  counted(
    'crowdfind_notices',
    'Lost-mode notices in force',
    'SELECT count(*) AS n FROM notices WHERE expires_at > ? AND withdrawn = 0',
  );
  counted(
    'crowdfind_mailbox_messages',
    'Mailbox messages not yet expired',
    'SELECT count(*) AS n FROM mailbox_messages WHERE expires_at > ?',
  );
  counted(
    'crowdfind_attachment_chunk_bytes',
    'Bytes of photo chunks not yet expired',
    'SELECT coalesce(sum(length(chunk)), 0) AS n FROM attachment_chunks WHERE expires_at > ?',
  );
  new Gauge({
    name: 'crowdfind_storage_bytes',
    help: 'Size of the database file, to compare with crowdfind_storage_budget_bytes',
    registers,
    async collect() {
      this.set((await sources.storageBytes()) ?? 0);
    },
  });
  new Gauge({
    name: 'crowdfind_storage_budget_bytes',
    help: 'STORAGE_BUDGET_MB in bytes (0: no budget); uploads are refused at it',
    registers,
  }).set(sources.storageBudgetBytes);
  new Gauge({
    name: 'crowdfind_writer_queue_depth',
    help: 'Writes sent to the writer thread and not yet committed',
    registers,
    collect() {
      this.set(sources.writer?.depth ?? 0);
    },
  });
  new Gauge({
    name: 'crowdfind_writer_stall_seconds',
    help: 'How long the oldest uncommitted write has waited on the writer thread (a stalled disk grows it)',
    registers,
    collect() {
      this.set((sources.writer?.waitingMs ?? 0) / 1000);
    },
  });
}
