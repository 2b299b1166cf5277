/**
 * The numbers of the HTTP contract that both sides must agree on: the server enforces them, the
 * SDK sizes its requests by them. No imports, so the SDK takes them without the server's code.
 */

/** Most hashed ids one owner request may name, over all its entries together. */
export const MAX_QUERY_IDS = 2048;
/** Most reports one page of `POST /v1/reports/query` returns. */
export const MAX_QUERY_LIMIT = 10_000;
/** Reports per page when a query names no `limit`. */
export const DEFAULT_QUERY_LIMIT = 1000;

/**
 * The batch-size rule's one wording, for JSON and binary uploads alike (the limit itself is the
 * server's MAX_BATCH setting).
 * @example batchTooLarge(5000, 5001) // 'a batch holds at most 5000 reports, got 5001'
 */
export function batchTooLarge(maxBatch: number, count: number): string {
  return `a batch holds at most ${maxBatch} reports, got ${count}`;
}

/** Most notices one publish or withdraw request carries: a week of 15-minute keys is 672. */
export const MAX_NOTICES_PER_REQUEST = 700;
/** A notice may expire at most this many days after it is published. */
export const MAX_NOTICE_DAYS = 31;
/**
 * Live notices one hashed id holds at most, each under its own withdraw hash: the server cannot
 * tell the owner's from a stranger's, so a stranger who published first does not keep the owner
 * out unless they filled every one; the finder shows the one that verifies.
 */
export const MAX_LIVE_NOTICES_PER_ID = 4;
/** Notices, live or withdrawn (kept until they would have expired), one hashed id holds at most. */
export const MAX_NOTICES_PER_ID = 16;

/** Most hashed ids one subscription watches (as many as one query names). */
export const MAX_SUBSCRIPTION_IDS = MAX_QUERY_IDS;
/** How long a subscription lives unless renewed, and the most it may ask for (seconds). */
export const DEFAULT_SUBSCRIPTION_SECONDS = 3600;
export const MAX_SUBSCRIPTION_SECONDS = 86_400;
/** Lengths of a subscription's webhook secret, the key of its deliveries' HMAC (characters). */
export const MIN_WEBHOOK_SECRET_LENGTH = 16;
export const MAX_WEBHOOK_SECRET_LENGTH = 256;
/** Open subscriptions per client (an IPv4 address, an IPv6 /64). */
export const MAX_SUBSCRIPTIONS_PER_CLIENT = 16;
/**
 * Hashed ids one client's subscriptions watch together: each costs the server memory (about
 * 0.3 KB), so a client holds four full subscriptions' worth, not sixteen.
 */
export const MAX_WATCHED_IDS_PER_CLIENT = 4 * MAX_SUBSCRIPTION_IDS;
/** Event streams open at once on one subscription. */
export const MAX_STREAMS_PER_SUBSCRIPTION = 2;

/** A share link lives at most this many days. */
export const MAX_SHARE_DAYS = 7;
/** Most bytes of one link's ciphertext (about 3,000 positions). */
export const MAX_SHARE_BYTES = 256 * 1024;

/** Most bytes of one sealed channel message (a 4 KiB body, padded and sealed, fits). */
export const MAX_MAILBOX_MESSAGE_BYTES = 8192;
/** Messages one mailbox holds; past it, posts are refused until they expire. */
export const MAX_MAILBOX_MESSAGES = 256;
/** How long a posted message is kept (seconds): a mailbox is in use for a day, read for two more. */
export const MAILBOX_MESSAGE_SECONDS = 3 * 86_400;
/** Longest a read waits for a message to arrive (seconds). */
export const MAX_MAILBOX_WAIT_SECONDS = 25;
/** State statements one request writes (one a day for a month), and how many days ahead the last may expire. */
export const MAX_STATE_DAYS = 31;

/** Every attachment chunk is exactly this long (the last one padded), so sizes say little. */
export const ATTACHMENT_CHUNK_BYTES = 64 * 1024;
/** Chunks of one attachment at most (10 MiB). */
export const MAX_ATTACHMENT_CHUNKS = 160;
/** Chunks one mailbox (one device's answers of one day) holds at most (32 MiB). */
export const MAX_MAILBOX_CHUNKS = 512;
