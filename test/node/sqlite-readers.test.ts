// Reader threads share a query's statements with the calling thread; what happens when a
// reader fails or stops while it holds one of them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ReportStatement } from '../../src/storage/report-sql.ts';
import { SqliteReaders, type StatementBlob } from '../../src/storage/sqlite/readers.ts';
import { openDatabase, READER_OPTIONS } from '../../src/storage/sqlite/database.ts';
import { StoreUnavailableError } from '../../src/storage/store.ts';

const folder = mkdtempSync(join(tmpdir(), 'crowdfind-readers-'));
const path = join(folder, 'reports.db');
const db = openDatabase(path);
afterAll(() => {
  db.close();
  rmSync(folder, { recursive: true, force: true });
});

/** A one-byte blob holding `tag`, as a report query answers one blob, after counting to `steps` (a million take ~0.2 s here). */
const slow = (tag: number, steps = 1_000_000): ReportStatement => ({
  sql: "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < ?) SELECT unhex(printf('%02x', ? + 0 * count(*))) FROM c",
  params: [steps, tag],
});

/** Readers whose thread has started and opened the database: it has taken part in a query. */
async function startedReaders(): Promise<SqliteReaders> {
  const readers = new SqliteReaders(path, 1, READER_OPTIONS);
  for (let ranHere = 2; ranHere === 2;) {
    ranHere = 0;
    await readers.share([slow(0), slow(0)], (statement) => (ranHere++, runHere(statement)));
  }
  return readers;
}
/** This thread's part: the same statements on its own connection. */
const runHere = (statement: ReportStatement): StatementBlob =>
  db
    .prepare(statement.sql)
    .pluck()
    .get(...statement.params) as StatementBlob;
/** The tags of shared pages. */
const tags = (pages: StatementBlob[]) => pages.map((page) => [...(page ?? [])]);

describe('SqliteReaders', () => {
  it('answers every statement once, in order, whoever ran it', async () => {
    const readers = await startedReaders();
    const pages = await readers.share([slow(1), slow(2), slow(3)], runHere);
    expect(tags(pages)).toEqual([[1], [2], [3]]);
    await readers.close();
  });

  it('fails as unavailable when a reader stops holding a statement, and runs alone once closed', async () => {
    // The reader must hold a statement at close. Which thread takes which is a race the test
    // cannot steer (this thread may take both, or the reader finish first on a busy machine), so a
    // try whose share was answered proves nothing and is made again.
    for (let attempt = 1; ; attempt++) {
      const readers = await startedReaders();
      const pending = readers.share([slow(1, 5_000_000), slow(2, 30_000_000)], runHere);
      await readers.close();
      const outcome = await pending.then(
        () => 'answered' as const,
        (error: unknown) => error,
      );
      expect(readers.size).toBe(0);
      if (outcome === 'answered') {
        expect(attempt, 'a reader never held a statement at close').toBeLessThan(10);
        continue;
      }
      expect(outcome).toBeInstanceOf(StoreUnavailableError);
      const pages = await readers.share([slow(3), slow(4)], runHere);
      expect(tags(pages)).toEqual([[3], [4]]);
      return;
    }
  }, 120_000);

  it("passes a reader's SQLite error on with its code", async () => {
    const broken = { sql: 'SELECT * FROM no_such_table', params: [] };
    // The reader must be the one to take the broken statement: a try in which this thread took it
    // (answered as an empty page here) is made again.
    for (let attempt = 1; ; attempt++) {
      const readers = await startedReaders();
      const pending = readers.share([slow(1, 5_000_000), broken], (statement) =>
        statement === broken ? null : runHere(statement),
      );
      const outcome = await pending.then(
        () => 'answered' as const,
        (error: unknown) => error,
      );
      await readers.close();
      if (outcome === 'answered') {
        expect(attempt, 'the reader never took the broken statement').toBeLessThan(10);
        continue;
      }
      expect(outcome).toMatchObject({ code: 'SQLITE_ERROR', message: expect.stringMatching(/no such table/) });
      return;
    }
  }, 120_000);
});
