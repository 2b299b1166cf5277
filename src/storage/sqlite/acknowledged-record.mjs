// @ts-check
/**
 * The record, beside the database file and outside its WAL, of what the database has
 * acknowledged: its identity and its count of acknowledged writes (the acknowledgements table).
 * The writer thread writes it after every commit and before the commit is answered, so it never
 * counts more than the database held at some moment; a database found at start-up with fewer,
 * or with another identity, lost acknowledged data (acknowledged.ts).
 *
 * Two fixed slots, written in turn and each with its own checksum: a write torn by a power cut
 * spoils at most the slot being written, and the other still holds the count before. Plain
 * JavaScript, because Node 20 runs no TypeScript in worker threads.
 */
import { closeSync, fdatasyncSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { crc32 } from 'node:zlib';

/** @typedef {{ identity: string, writes: number }} Acknowledged */

const SLOT_BYTES = 64;
const MAGIC = 'crowdfind-ack1';

/** @param {string} databasePath */
export const recordPathOf = (databasePath) => `${databasePath}.ack`;

/** @param {Acknowledged} acknowledged */
function slotText({ identity, writes }) {
  const body = `${MAGIC} ${identity} ${writes}`;
  return `${body} ${crc32(body).toString(16).padStart(8, '0')}`.padEnd(SLOT_BYTES - 1) + '\n';
}

/** @param {string} text @returns {Acknowledged | undefined} */
function parseSlot(text) {
  const match = /^(crowdfind-ack1 ([0-9a-f]{32}) (\d{1,15})) ([0-9a-f]{8}) *\n$/.exec(text);
  if (
    !match ||
    crc32(/** @type {string} */ (match[1]))
      .toString(16)
      .padStart(8, '0') !== match[4]
  )
    return undefined;
  return { identity: /** @type {string} */ (match[2]), writes: Number(match[3]) };
}

/**
 * The record at `path`: undefined when there is none; throws when there is one but no slot of
 * it can be read.
 * @param {string} path
 * @returns {Acknowledged | undefined}
 * @example readAcknowledged('./data/crowdfind.db.ack') // { identity: '5f…', writes: 6000 }
 */
export function readAcknowledged(path) {
  let text;
  try {
    text = readFileSync(path, 'latin1');
  } catch (error) {
    if (/** @type {NodeJS.ErrnoException} */ (error).code === 'ENOENT') return undefined;
    throw error;
  }
  const slots = [text.slice(0, SLOT_BYTES), text.slice(SLOT_BYTES, 2 * SLOT_BYTES)].map(parseSlot);
  const valid = /** @type {Acknowledged[]} */ (slots.filter(Boolean));
  if (valid.length === 0) throw new Error(`${path} is damaged: neither of its slots can be read`);
  return valid.reduce((a, b) => (b.writes > a.writes ? b : a));
}

/**
 * Opens the record for writing (creating it, and making its name durable in its folder) and
 * returns what writes it: each call lands on disk before it returns.
 * @param {string} path
 * @returns {{ write: (acknowledged: Acknowledged) => void, reset: (acknowledged: Acknowledged) => void, close: () => void }}
 * @example const record = openRecord(path); record.write({ identity, writes: 1 });
 */
export function openRecord(path) {
  const fd = openSync(path, 'a+');
  closeSync(fd);
  const folder = openSync(dirname(path), 'r');
  try {
    fsyncSync(folder);
  } finally {
    closeSync(folder);
  }
  const file = openSync(path, 'r+');
  /** @param {Acknowledged} acknowledged @param {number[]} slots */
  const put = (acknowledged, slots) => {
    for (const slot of slots) writeSync(file, slotText(acknowledged), slot * SLOT_BYTES, 'latin1');
    fdatasyncSync(file);
  };
  return {
    write: (acknowledged) => put(acknowledged, [acknowledged.writes % 2]),
    // Both slots: the other one could hold a larger count of another database.
    reset: (acknowledged) => put(acknowledged, [0, 1]),
    close: () => closeSync(file),
  };
}
