// A damaged database file is refused or reported loudly; an owner is never answered "200,
// nothing" from it. One page of a real file is scribbled over, as a failing disk would, for
// several pages in turn.
import { randomFillSync } from 'node:crypto';
import { copyFileSync, mkdtempSync, openSync, rmSync, statSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToBase64 } from '../../crypto/index.ts';
import { bucketOf } from '../../schema/schema.ts';
import { syntheticPayload } from '../../bench/synthetic-reports.ts';
import { DEFAULT_CONFIG } from '../../src/rules/config.ts';
import { startNodeServer } from '../../src/runtime/node/server.ts';
import { INSERT_REPORT_SQL } from '../../src/storage/report-sql.ts';
import { openDatabase } from '../../src/storage/sqlite/database.ts';
import { counted } from '../counted.ts';

const folder = mkdtempSync(join(tmpdir(), 'crowdfind-damage-'));
const pristine = join(folder, 'pristine.db');
const PAGE = 4096;
const NOW = Math.floor(Date.now() / 1000);
const ids = Array.from({ length: 60 }, () => randomFillSync(new Uint8Array(32)));
const STORED = 6000;

beforeAll(() => {
  const db = openDatabase(pristine);
  const insert = db.prepare(INSERT_REPORT_SQL);
  db.transaction(() => {
    for (let k = 0; k < STORED; k++) {
      const timestamp = NOW - (k % 5) * 86_400 - k;
      insert.run(bucketOf(timestamp), ids[k % ids.length]!, timestamp, syntheticPayload(timestamp), NOW);
    }
  })();
  db.close(); // checkpoints: every report is in the main file
});
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** A copy of the database with page `page` (from 1) overwritten with garbage. */
function scribbled(page: number): string {
  const path = join(folder, `page-${page}.db`);
  copyFileSync(pristine, path);
  const fd = openSync(path, 'r+');
  writeSync(fd, new Uint8Array(PAGE).fill(0xa5), 0, PAGE, (page - 1) * PAGE);
  closeSync(fd);
  return path;
}

describe('a damaged database file', () => {
  const pages = () => statSync(pristine).size / PAGE;

  /** The path each case took, so that the last test can check both were taken. */
  const outcomes: string[] = [];

  it.each([
    ['the header page', () => 1],
    ['the schema page', () => 2],
    ['a page near the start', () => 3],
    ['a leaf page of the table', () => 10],
    ['a page in the middle', () => Math.floor(pages() / 2)],
    ['the last page', () => pages()],
  ])(
    'with %s scribbled: refused at start, or every answer is whole or a 503, and the log says why',
    async (_, pageOf) => {
      const databasePath = scribbled(pageOf());
      const lines: string[] = [];
      const verdicts = counted(() => lines.filter((l) => /indexed|damaged/.test(l)).length);
      let server;
      try {
        server = await startNodeServer({
          port: 0,
          host: '127.0.0.1',
          databasePath,
          config: { ...DEFAULT_CONFIG, queriesPerMinute: 0 },
          log: (line) => (lines.push(line), verdicts.changed()),
        });
      } catch (error) {
        expect((error as Error).message).toMatch(
          /(the database is damaged|the file is not an SQLite database: .*) \(SQLITE_(CORRUPT|NOTADB)/,
        );
        outcomes.push('refused at start');
        return;
      }
      try {
        // Indexing reads every key of the table: let it finish or find the damage.
        await verdicts.reach(1);
        const query = await fetch(`${server.url}/v1/reports/query`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ ids: ids.map(bytesToBase64), limit: 10_000 }),
        });
        const health = await fetch(`${server.url}/v1/health`);
        outcomes.push(`answered ${query.status}`);
        if (query.status === 200) {
          expect(((await query.json()) as { reports: unknown[] }).reports).toHaveLength(STORED);
        } else {
          expect(query.status).toBe(503);
          expect(((await query.json()) as { detail: string }).detail).toMatch(/damaged/);
          expect(health.status).toBe(503);
          expect(((await health.json()) as { detail: string }).detail).toMatch(/damaged/);
          expect(lines.filter((l) => /damaged/.test(l))).toHaveLength(1);
          // Nothing more is written into it either.
          const upload = await fetch(`${server.url}/v1/reports`, {
            method: 'POST',
            headers: { 'content-type': 'application/octet-stream' },
            body: new Uint8Array([...ids[0]!, ...syntheticPayload(NOW - 60)]),
          });
          expect(upload.status).toBe(503);
        }
      } finally {
        await server.close();
      }
    },
  );

  it('was refused at start for some pages and found by the start-up indexing for others', () => {
    expect(outcomes).toContain('refused at start');
    expect(outcomes).toContain('answered 503');
  });
});
