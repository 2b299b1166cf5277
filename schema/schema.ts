/**
 * The one schema shared by the Node server (better-sqlite3) and the Workers deployment (D1).
 * Migrations in ./migrations are generated from it by drizzle-kit (`npm run db:generate`).
 *
 * Layout, measured (BENCHMARKS.md): a WITHOUT ROWID table
 * clustered by observation day first. New reports carry recent timestamps, so inserts land
 * near the right edge of the B-tree instead of at random places in a table-sized index; an
 * owner's fetch names the few days of its window and seeks (day, id) for each id; pruning
 * deletes whole expired days from the left edge. A report's key within its day and id is its
 * seal (below): what the finder's encryption covers, not the clear-text time or confidence a
 * replayer can change, so that a replay with a forged time or confidence is a duplicate, and
 * the first copy is kept.
 * drizzle has no WITHOUT ROWID option: the generated migrations add it by hand.
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
    /**
     * 8 bytes of the x coordinate of the report's ephemeral key, which the finder draws afresh
     * for every report and the encryption binds: {@link SEAL_SQL}.
     */
    seal: blob('seal').notNull(),
    /** Observation time from the payload, Unix seconds. */
    timestamp: integer('timestamp').notNull(),
    /** The 88- or 89-byte payload exactly as uploaded. */
    payload: blob('payload').notNull(),
    /** When the server stored it, Unix seconds. */
    receivedAt: integer('received_at').notNull(),
  },
  (table) => [primaryKey({ columns: [table.bucket, table.hashedId, table.seal] })],
);

/**
 * A payload's seal in SQL, for inserts and the migration alike: the ephemeral key is the 57
 * bytes before the last 26 (ciphertext and tag) of an 88- or 89-byte payload, `04 ‖ X ‖ Y`, and
 * the seal is X's first 8 bytes (1-based: from the 82nd-last byte).
 */
export const SEAL_SQL = (payload: string) => `substr(${payload}, length(${payload}) - 81, 8)`;

/**
 * Lost-mode notices (docs/protocol.md §13): up to MAX_LIVE_NOTICES_PER_ID live notices per hashed
 * id, each under its own withdraw hash, since the server cannot tell the owner's from a stranger's
 * (the finder shows the one that verifies). A withdrawn notice stays as a tombstone until it
 * would have expired, so the same bytes cannot be published again. The server cannot read them;
 * it keeps what withdrawal and pruning need.
 */
export const notices = sqliteTable(
  'notices',
  {
    /** 32-byte SHA-256 of the advertisement key the notice is for. */
    hashedId: blob('hashed_id').notNull(),
    /** The 356-byte sealed notice exactly as published. */
    notice: blob('notice').notNull(),
    /** Unix seconds; bound into the notice's encryption, pruned after. */
    expiresAt: integer('expires_at').notNull(),
    /** SHA-256 of the token that withdraws it. */
    withdrawHash: blob('withdraw_hash').notNull(),
    /** When the server stored it, Unix seconds. */
    publishedAt: integer('published_at').notNull(),
    /** 1 once withdrawn: no longer served, kept so that its bytes cannot come back. */
    withdrawn: integer('withdrawn').notNull().default(0),
  },
  (table) => [primaryKey({ columns: [table.hashedId, table.notice] })],
);

/**
 * Shared item locations (README, "Share a location"): a link's ciphertext, which only holders of
 * the key in the link's fragment can read, with the hash of the owner's token that may update,
 * end or revoke it. Deleted on revocation, pruned at expiry.
 */
export const shares = sqliteTable('shares', {
  /** 16 random bytes, the link's public part. */
  id: blob('id').primaryKey(),
  /** AES-256-GCM of the locations (docs/protocol.md §16); empty once the owner marks the item found. */
  ciphertext: blob('ciphertext').notNull(),
  /** SHA-256 of the owner's token. */
  tokenHash: blob('token_hash').notNull(),
  /** Unix seconds, at most 7 days after creation. */
  expiresAt: integer('expires_at').notNull(),
  /** When the ciphertext last changed, Unix seconds. */
  updatedAt: integer('updated_at').notNull(),
  /** 1 once the owner ended the share as found. */
  found: integer('found').notNull(),
});

/**
 * The owner↔device channel's mailboxes (docs/protocol.md §17): sealed messages filed under the
 * SHA-256 of a capability both paired sides derive, numbered in arrival order. The server can
 * read none of them.
 */
export const mailboxMessages = sqliteTable(
  'mailbox_messages',
  {
    /** SHA-256 of the mailbox capability. */
    mailbox: blob('mailbox').notNull(),
    /** 1, 2, … within the mailbox, in arrival order. */
    seq: integer('seq').notNull(),
    /** The sealed message as posted. */
    message: blob('message').notNull(),
    /** Unix seconds. */
    expiresAt: integer('expires_at').notNull(),
  },
  (table) => [primaryKey({ columns: [table.mailbox, table.seq] })],
);

/** A device's lost state: the owner's sealed, signed statement, one per state mailbox (one a day). */
export const mailboxStates = sqliteTable('mailbox_states', {
  mailbox: blob('mailbox').primaryKey(),
  statement: blob('statement').notNull(),
  expiresAt: integer('expires_at').notNull(),
});

/**
 * Photos and other attachments of the channel, on Node (Workers keep them in R2): fixed-size
 * chunks of what the device encrypted, filed under the mailbox they were posted to. The key is
 * in a sealed message; the server holds ciphertext only.
 */
export const attachmentChunks = sqliteTable(
  'attachment_chunks',
  {
    mailbox: blob('mailbox').notNull(),
    /** 16 bytes the device chose. */
    attachment: blob('attachment').notNull(),
    /** 0, 1, … of `count`. */
    idx: integer('idx').notNull(),
    /** Exactly ATTACHMENT_CHUNK_BYTES. */
    chunk: blob('chunk').notNull(),
    expiresAt: integer('expires_at').notNull(),
  },
  (table) => [primaryKey({ columns: [table.mailbox, table.attachment, table.idx] })],
);

/**
 * On Node, one row: the database's identity (random, chosen when the file is created) and how
 * many writes it has acknowledged. The writer thread copies both, after each commit, to a record
 * beside the file (acknowledged-record.mjs): a start-up that finds the database behind that
 * record knows acknowledged data was lost, which SQLite alone cannot tell from a new file.
 * Pruning deletes reports, never this count, so retention is never taken for loss.
 */
export const acknowledgements = sqliteTable('acknowledgements', {
  identity: blob('identity').primaryKey(),
  writes: integer('writes').notNull(),
});
