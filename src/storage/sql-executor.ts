/**
 * How a batch of statements reaches a database, for the stores written once in SQL that SQLite
 * and D1 both run (notices/, shares/): better-sqlite3 runs it in one transaction on its
 * connection, D1 in one `batch()`. Both return each statement's rows.
 */
import type Database from 'better-sqlite3';
import type { SqliteWriter } from './sqlite/writer.ts';
import { shardOf } from './sharded/store.ts';
import { StoreUnavailableError } from './store.ts';

export interface Statement {
  readonly sql: string;
  readonly params: readonly unknown[];
}

export interface SqlExecutor {
  /** Most parameters one statement may bind (D1: 100). */
  readonly maxParameters: number;
  /** Runs the statements atomically; the rows each returned, in order. */
  batch<Row>(statements: readonly Statement[]): Promise<Row[][]>;
  /** A blob column's value as bytes. */
  bytes(value: unknown): Uint8Array;
}

/** D1's limit on bound parameters per statement. */
export const D1_MAX_PARAMETERS = 100;

/** SQLite's codes for "not now": the database is busy, locked, full or failing. */
const UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|FULL|IOERR)/;

function unavailableOr(error: unknown): unknown {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && UNAVAILABLE.test(code)
    ? new StoreUnavailableError(`SQLite could not take the work now (${code})`)
    : error;
}

/** Reads only: a batch of these runs on the connection it is given, never waiting for the writer. */
const READS_ONLY = (statements: readonly Statement[]) => statements.every((s) => /^\s*SELECT\b/i.test(s.sql));

/**
 * Statements on a better-sqlite3 connection, in one immediate transaction; or, given the writer
 * thread, every batch that writes goes there (a stalled disk then holds that thread, not the one
 * answering requests) and only reads run here.
 * @example new SqlNoticeStore([sqliteExecutor(db, writer)])
 */
export function sqliteExecutor(db: Database.Database, writer?: SqliteWriter): SqlExecutor {
  return {
    maxParameters: 32_766,
    async batch<Row>(statements: readonly Statement[]) {
      try {
        if (writer && !READS_ONLY(statements)) return (await writer.batch(statements)) as Row[][];
        return db
          .transaction(() =>
            statements.map((s) => {
              // A statement that returns no rows (an INSERT without RETURNING) is run, not read.
              const statement = db.prepare(s.sql);
              return (statement.reader ? statement.all(...s.params) : (statement.run(...s.params), [])) as Row[];
            }),
          )
          .immediate();
      } catch (error) {
        throw unavailableOr(error);
      }
    },
    bytes: (value) => value as Uint8Array,
  };
}

/**
 * Statements on D1, in one `batch()` (which D1 runs atomically).
 * @example new SqlNoticeStore([d1Executor(env.DB)])
 */
export function d1Executor(db: D1Database): SqlExecutor {
  return {
    maxParameters: D1_MAX_PARAMETERS,
    async batch<Row>(statements: readonly Statement[]) {
      if (statements.length === 0) return [];
      try {
        const results = await db.batch<Row>(statements.map((s) => db.prepare(s.sql).bind(...s.params)));
        return results.map((r) => r.results);
      } catch (error) {
        throw new StoreUnavailableError(`D1 failed: ${(error as Error).message}`);
      }
    },
    // D1 gives a blob as an array of numbers, or an ArrayBuffer.
    bytes: (value) => (value instanceof Uint8Array ? value : new Uint8Array(value as ArrayBuffer | number[])),
  };
}

/**
 * Items grouped by the shard their id routes to (sharded/store.ts), keeping their order.
 * @example for (const [shard, part] of byShard(shards, notices, (n) => n.hashedId)) await shard.batch(…)
 */
export function byShard<T>(
  shards: readonly SqlExecutor[],
  items: readonly T[],
  idOf: (item: T) => Uint8Array,
): Map<SqlExecutor, T[]> {
  const parts = new Map<SqlExecutor, T[]>();
  for (const item of items) {
    const shard = shards[shardOf(idOf(item), shards.length)]!;
    const part = parts.get(shard);
    if (part) part.push(item);
    else parts.set(shard, [item]);
  }
  return parts;
}
