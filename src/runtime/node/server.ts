/**
 * The Node runtime's wiring: an SQLite file, the app, an HTTP listener, the pruning timer and
 * a clean shutdown. `main.ts` calls it from the environment; tests call it directly.
 */
import { accessSync, constants } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { dirname } from 'node:path';
import { availableParallelism } from 'node:os';
import { serve } from '@hono/node-server';
import type Database from 'better-sqlite3';
import { getConnInfo } from '@hono/node-server/conninfo';
import { compileP224Module, fastP224 } from '../../../crypto/index.ts';
import { createApp } from '../../http/app.ts';
import { SubscriptionHub } from '../../notify/hub.ts';
import { MailWaiters } from '../../notify/mail-waiters.ts';
import { localNotifier } from '../../notify/notifier.ts';
import { RetryingWebhookSender } from '../../notify/webhook.ts';
import type { AppConfig } from '../../rules/config.ts';
import { retentionStart } from '../../rules/retention.ts';
import { sqliteExecutor } from '../../storage/sql-executor.ts';
import { SqlNoticeStore } from '../../storage/notices/store.ts';
import { SqlShareStore } from '../../storage/shares/store.ts';
import { SqlMailboxStore } from '../../storage/mailboxes/store.ts';
import { SqlAttachmentStore } from '../../storage/attachments/sql.ts';
import { baseline, lossOf } from '../../storage/sqlite/acknowledged.ts';
import { SqliteReaders } from '../../storage/sqlite/readers.ts';
import { damageOf, openDatabase, READER_OPTIONS, WRITER_OPTIONS } from '../../storage/sqlite/database.ts';
import { SqliteReportStore, WRITE_SQL } from '../../storage/sqlite/store.ts';
import { SqliteWriter } from '../../storage/sqlite/writer.ts';
import { clientKey } from '../../rules/client-key.ts';
import { ownerStoreBytes } from '../../storage/sqlite/owner-store-bytes.ts';
import { claimDatabase } from './database-claim.ts';
import { NodeMetrics } from './metrics.ts';
import { StartupError } from './startup-error.ts';
import { builtWebAssets, WEB_BUILD_FOLDER } from './web-assets.ts';
import { webhookPost } from './webhook-post.ts';

/** Expired reports are pruned this often (and once at start). */
const PRUNE_INTERVAL_MS = 10 * 60 * 1000;
/** Most reader threads by default; past a few, the days of a week are split too thin. */
const MAX_DEFAULT_READERS = 3;

/** One reader thread per core beside the main thread, at most {@link MAX_DEFAULT_READERS}. */
export function defaultReaderThreads(): number {
  return Math.min(MAX_DEFAULT_READERS, Math.max(0, availableParallelism() - 1));
}

/** Default of `MAX_CONNECTIONS_PER_CLIENT`: browsers open 6, busy gateways a few dozen. */
export const MAX_CONNECTIONS_PER_CLIENT = 256;

/** In-flight requests get this long to finish on shutdown. */
export const SHUTDOWN_GRACE_MS = 10_000;
/** A request must arrive whole (headers and body) within this; slow senders are cut off with 408. */
const REQUEST_TIMEOUT_MS = 30_000;

/**
 * Why a database file could not be opened, in words: damage, or the file or the nearest folder
 * on its path that cannot be written, after SQLite's or Node's own words.
 */
function whyUnopenable(path: string, error: unknown): string {
  const damage = damageOf(error);
  if (damage !== undefined) return damage;
  const message = (error as Error).message;
  const places = [path];
  for (let folder = dirname(path); places.at(-1) !== folder; folder = dirname(folder)) places.push(folder);
  for (const place of places) {
    try {
      accessSync(place, constants.W_OK);
      return message;
    } catch (denied) {
      if ((denied as NodeJS.ErrnoException).code !== 'ENOENT') {
        return `${message}: ${place} is not writable (${(denied as Error).message})`;
      }
    }
  }
  return message;
}

export interface NodeServerOptions {
  readonly port: number;
  readonly host: string;
  readonly databasePath: string;
  readonly config: AppConfig;
  readonly clock?: () => number;
  readonly log?: (line: string) => void;
  /** Default {@link REQUEST_TIMEOUT_MS}. */
  readonly requestTimeoutMs?: number;
  /** Threads that read for owner queries beside the main one; default {@link defaultReaderThreads}, 0 for none. */
  readonly readerThreads?: number;
  /**
   * Connections one client address may hold open at once; more are closed as they arrive, so
   * that one client cannot take every file descriptor. Default {@link MAX_CONNECTIONS_PER_CLIENT};
   * 0 turns it off. Behind a trusted proxy every connection is the proxy's, so it is off there.
   */
  readonly maxConnectionsPerClient?: number;
  /** The built owner's page; default build/web ({@link WEB_BUILD_FOLDER}). */
  readonly webFolder?: string;
  /**
   * Serve a database that lost acknowledged writes (`--accept-loss`): the loss is logged, health
   * answers 503 with it until the next start, and from here on only later losses are found.
   * Without it such a database is refused at start.
   */
  readonly acceptLoss?: boolean;
  /** Where GET /metrics listens (METRICS_PORT, METRICS_HOST); without it there are no metrics. */
  readonly metrics?: { readonly port: number; readonly host: string };
}

/**
 * Checks that the database holds every write it acknowledged (acknowledged.ts) and, unless it
 * lost some, brings the record up to date. A loss refuses the start, or, accepted, is logged,
 * becomes the record's new baseline and is returned for health to report.
 */
function acceptedLoss(db: Database.Database, options: NodeServerOptions, log: (line: string) => void) {
  const loss = lossOf(db, options.databasePath);
  if (loss !== undefined && !options.acceptLoss) {
    throw new StartupError(`${loss}; restore it from a backup, or start with --accept-loss to serve what is left`);
  }
  if (loss !== undefined) log(`accepted a loss (--accept-loss): ${loss}`);
  const started = baseline(db, options.databasePath);
  if (started !== undefined) log(started);
  return loss && `acknowledged writes were lost before this start (accepted with --accept-loss): ${loss}`;
}

export interface RunningServer {
  /** e.g. http://127.0.0.1:3000 */
  readonly url: string;
  /** e.g. http://127.0.0.1:9464/metrics, when metrics are on. */
  readonly metricsUrl?: string;
  /** Runs retention pruning now (it also runs every PRUNE_INTERVAL_MS); resolves to how many were removed. */
  prune(): Promise<number>;
  /** Stops accepting, lets in-flight requests finish (new ones on open connections get 503), closes the database. */
  close(): Promise<void>;
}

/**
 * @example const server = await startNodeServer({ port: 0, host: '127.0.0.1', databasePath, config: DEFAULT_CONFIG });
 */
export async function startNodeServer(options: NodeServerOptions): Promise<RunningServer> {
  const log = options.log ?? console.log;
  const clock = options.clock ?? Date.now;
  let db: ReturnType<typeof openDatabase>;
  try {
    db = openDatabase(options.databasePath, log);
  } catch (error) {
    throw new StartupError(
      `cannot open the database ${options.databasePath}: ${whyUnopenable(options.databasePath, error)}`,
    );
  }
  let release: () => Promise<void>;
  try {
    release = options.databasePath === ':memory:' ? async () => {} : await claimDatabase(options.databasePath);
  } catch (error) {
    db.close();
    throw error;
  }
  let loss: string | undefined;
  try {
    loss = options.databasePath === ':memory:' ? undefined : acceptedLoss(db, options, log);
  } catch (error) {
    db.close();
    await release();
    throw error;
  }
  const readerThreads = options.databasePath === ':memory:' ? 0 : (options.readerThreads ?? defaultReaderThreads());
  const readers =
    readerThreads > 0 ? new SqliteReaders(options.databasePath, readerThreads, READER_OPTIONS) : undefined;
  // Commits and prunes on a thread of their own: a disk that stalls holds it, not this one.
  const writer =
    options.databasePath === ':memory:' ? undefined : new SqliteWriter(options.databasePath, WRITER_OPTIONS, WRITE_SQL);
  const store = new SqliteReportStore(db, { readers, writer, log, loss });
  if (store.damage !== undefined) {
    await writer?.close();
    await readers?.close();
    db.close();
    await release();
    throw new StartupError(`${options.databasePath}: ${store.damage}`);
  }
  const indexingStarted = performance.now();
  void store.indexed.then(
    (read) =>
      read > 0 &&
      log(`ids of stored reports indexed: ${read} in ${((performance.now() - indexingStarted) / 1000).toFixed(1)} s`),
  );
  // Notices, shares, mailboxes and attachments: their writes go to the writer thread too.
  const sql = sqliteExecutor(db, writer);
  const notices = new SqlNoticeStore([sql]);
  const shares = new SqlShareStore([sql]);
  const mailboxes = new SqlMailboxStore([sql]);
  const attachments = new SqlAttachmentStore(sql);
  const waiters = new MailWaiters();
  const metrics: NodeMetrics | undefined =
    options.metrics &&
    new NodeMetrics({
      subscriptions: (): number => hub.size,
      storageBytes: () => store.storageBytes(),
      storageBudgetBytes: options.config.storageBudgetBytes,
      ...(writer ? { writer } : {}),
      sql,
      nowSeconds: () => Math.floor(clock() / 1000),
    });
  const post = webhookPost(options.config.webhookAllowPrivate);
  const hub = new SubscriptionHub({
    clock,
    webhooks: new RetryingWebhookSender({ send: metrics?.countedWebhooks(post) ?? post, log, clock }),
  });
  let shuttingDown = false;
  const webAssets = builtWebAssets(options.webFolder ?? WEB_BUILD_FOLDER);
  if (!webAssets) log("the owner's page is not built (npm run build:web): / leads to /docs");
  const app = createApp({
    store,
    notices,
    shares,
    mailboxes,
    attachments,
    ...(webAssets ? { webAssets } : {}),
    notifier: localNotifier(hub, waiters),
    // Summed on the writer thread when there is one: a read on this thread would hold every
    // request, health too, while the disk stalls.
    ownerStoreBytes: () => ownerStoreBytes(db, writer),
    config: options.config,
    clock,
    log,
    peerAddress: (c) => getConnInfo(c).remote.address,
    p224: fastP224(compileP224Module()),
    ownerTurns: true,
    stopping: () => shuttingDown,
    ...(metrics ? { observer: metrics.observer } : {}),
  });

  const prune = async () => {
    const removed = await store.prune(retentionStart(Math.floor(clock() / 1000), options.config.retentionDays));
    if (removed > 0) log(`pruned ${removed} expired reports`);
    const expiredNotices = await notices.prune(Math.floor(clock() / 1000));
    if (expiredNotices > 0) log(`pruned ${expiredNotices} expired notices`);
    const expiredShares = await shares.prune(Math.floor(clock() / 1000));
    if (expiredShares > 0) log(`pruned ${expiredShares} expired shares`);
    const expiredMail =
      (await mailboxes.prune(Math.floor(clock() / 1000))) + (await attachments.prune(Math.floor(clock() / 1000)));
    if (expiredMail > 0) log(`pruned ${expiredMail} expired mailbox messages, states and attachment chunks`);
    return removed;
  };
  const pruneInBackground = () =>
    void prune().catch((error: Error) => log(`pruning failed: ${error.name}: ${error.message}`));
  pruneInBackground();
  const pruneTimer = setInterval(pruneInBackground, PRUNE_INTERVAL_MS).unref();

  let closeMetrics = async () => {};
  const closeStorage = async () => {
    await closeMetrics();
    clearInterval(pruneTimer);
    hub.close();
    await writer?.close();
    await readers?.close();
    db.close();
    await release();
  };

  let server: ReturnType<typeof serve>;
  try {
    server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
      const requestTimeout = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
      // Node checks the timeout every connectionsCheckingInterval; keep that well under it.
      const serverOptions = { requestTimeout, connectionsCheckingInterval: Math.min(1000, requestTimeout / 2) };
      const s = serve({ fetch: app.fetch, port: options.port, hostname: options.host, serverOptions }, () => {
        s.off('error', reject);
        resolve(s);
      });
      s.once('error', reject);
    });
  } catch (error) {
    await closeStorage();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new StartupError(`port ${options.port} on ${options.host} is already in use`);
    if (code === 'EACCES') throw new StartupError(`no permission to listen on port ${options.port} on ${options.host}`);
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host}:${port}`;
  let metricsUrl: string | undefined;
  if (metrics && options.metrics) {
    try {
      const listening = await metrics.listen(options.metrics.port, options.metrics.host);
      metricsUrl = listening.url;
      closeMetrics = listening.close;
    } catch (error) {
      await new Promise((resolve) => server.close(resolve));
      await closeStorage();
      throw new StartupError(
        `cannot serve metrics on port ${options.metrics.port} of ${options.metrics.host}: ${(error as Error).message}`,
      );
    }
    log(`metrics on ${metricsUrl}`);
  }
  log(`Crowdfind listening on ${url} (database ${options.databasePath})`);

  // While shutting down, every response closes its connection, so that clients uploading
  // on keep-alive connections cannot hold the server open.
  limitConnectionsPerClient(
    server,
    options.config.trustProxy ? 0 : (options.maxConnectionsPerClient ?? MAX_CONNECTIONS_PER_CLIENT),
    options.config.clientIpv6Prefix,
    log,
  );

  answerContinueOnRead(server);

  server.on('request', (_request, response: { setHeader(name: string, value: string): void }) => {
    if (shuttingDown) response.setHeader('connection', 'close');
  });

  let closing: Promise<void> | undefined;
  return {
    url,
    ...(metricsUrl ? { metricsUrl } : {}),
    prune,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        shuttingDown = true;
        // Event streams and parked mailbox reads do not end by themselves: end them, or the
        // server waits out its grace.
        hub.close();
        waiters.releaseAll();
        const force = setTimeout(
          () => 'closeAllConnections' in server && server.closeAllConnections(),
          SHUTDOWN_GRACE_MS,
        ).unref();
        server.close(() => {
          clearTimeout(force);
          void closeStorage().then(resolve);
        });
        if ('closeIdleConnections' in server) server.closeIdleConnections();
      })),
  };
}

/**
 * Node answers `Expect: 100-continue` with `100 Continue` before the app sees the request, so a
 * body cap's 413 on the Content-Length came after the client was told to send. Instead the
 * request goes to the app at once and `100 Continue` is sent when it starts to read the body:
 * never, when it answers from the headers alone.
 */
function answerContinueOnRead(server: ReturnType<typeof serve>): void {
  server.on('checkContinue', (request: IncomingMessage, response: ServerResponse) => {
    request.once('resume', () => response.headersSent || response.writeContinue());
    server.emit('request', request, response);
  });
}

/** How often at most the log says that connections were refused (never whose: no address is logged). */
const REFUSAL_LOG_INTERVAL_MS = 60_000;

/** Closes each connection past `limit` open ones from one client (an IPv6 network: rules/client-key.ts); 0 is no limit. */
function limitConnectionsPerClient(
  server: ReturnType<typeof serve>,
  limit: number,
  ipv6Prefix: number,
  log: (line: string) => void,
): void {
  if (limit <= 0) return;
  const open = new Map<string, number>();
  let refused = 0;
  let loggedAt = -Infinity;
  server.on('connection', (socket: Socket) => {
    const peer = clientKey(socket.remoteAddress ?? 'unknown', ipv6Prefix);
    const count = (open.get(peer) ?? 0) + 1;
    if (count > limit) {
      socket.destroy();
      refused++;
      if (performance.now() - loggedAt >= REFUSAL_LOG_INTERVAL_MS) {
        log(`refused ${refused} connections of clients already holding ${limit} (MAX_CONNECTIONS_PER_CLIENT)`);
        loggedAt = performance.now();
        refused = 0;
      }
      return;
    }
    open.set(peer, count);
    socket.once('close', () => {
      const left = open.get(peer)! - 1;
      if (left > 0) open.set(peer, left);
      else open.delete(peer);
    });
  });
}
