/**
 * The one schema shared by the Node server (better-sqlite3) and the Workers deployment (D1).
 * Migrations in ./migrations are generated from it by drizzle-kit (`npm run db:generate`).
 *
 * Layout, measured (BENCHMARKS.md): a WITHOUT ROWID table
 * clustered by observation day first. New reports carry recent timestamps, so inserts land
 * near the right edge of the B-tree instead of at random places in a table-sized index; an
 * owner's fetch names the few days of its window and seeks (day, id) for each id; pruning
 * deletes whole expired days from the left edge. The payload is part of the key, which makes
 * a repeated upload of the same (id, payload) a no-op with no separate dedup column.
 * drizzle has no WITHOUT ROWID option: the generated migration adds it by hand.
 */
import { blob, integer, primaryKey, sqliteTable } from 'drizzle-orm/sqlite-core';

/** Width of a storage bucket: one UTC day of observation time. */
export const BUCKET_SECONDS = 86_400;

/** The storage bucket of an observation time (Unix seconds). */
export function bucketOf(timestamp: number): number {
  return Math.floor(timestamp / BUCKET_SECONDS);
}

export const reports = sqliteTable(
  'reports',
  {
    /** ⌊observation time / BUCKET_SECONDS⌋. */
    bucket: integer('bucket').notNull(),
    /** 32-byte SHA-256 of the advertisement key. */
    hashedId: blob('hashed_id').notNull(),
    /** Observation time from the payload, Unix seconds. */
    timestamp: integer('timestamp').notNull(),
    /** The 88- or 89-byte payload exactly as uploaded. */
    payload: blob('payload').notNull(),
    /** When the server stored it, Unix seconds. */
    receivedAt: integer('received_at').notNull(),
  },
  (table) => [primaryKey({ columns: [table.bucket, table.hashedId, table.timestamp, table.payload] })],
);
