// Upgrades: the current server on a database made by the first version (its schema is the first
// migration alone) applies the rest in one transaction, logs them, and finds every report; a
// database that a newer version migrated further is refused in one line.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { afterAll, describe, expect, it } from 'vitest';
import { hashedIdPopulation, syntheticPayload } from '../../bench/synthetic-reports.ts';
import { bytesToBase64 } from '../../crypto/index.ts';
import { bucketOf } from '../../schema/schema.ts';
import { DEFAULT_CONFIG } from '../../src/rules/config.ts';
import { startNodeServer } from '../../src/runtime/node/server.ts';
import { MIGRATIONS_FOLDER } from '../../src/storage/sqlite/database.ts';

const folder = mkdtempSync(join(tmpdir(), 'crowdfind-upgrade-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const FIRST_MIGRATION = join(MIGRATIONS_FOLDER, '0000_init.sql');

/**
 * The fixture, made as the first version made its files: the first migration's statements, the
 * row drizzle's migrator records for it, and reports inserted with that schema's columns (no
 * seal yet). Returns the reports, as their ids and payloads in base64.
 */
function firstVersionDatabase(path: string, count: number): Set<string> {
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    for (const statement of readFileSync(FIRST_MIGRATION, 'utf8').split('--> statement-breakpoint')) db.exec(statement);
    const [first] = readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER });
    db.exec(
      'CREATE TABLE IF NOT EXISTS "__drizzle_migrations" (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)',
    );
    db.prepare('INSERT INTO "__drizzle_migrations" ("hash", "created_at") VALUES (?, ?)').run(
      first!.hash,
      first!.folderMillis,
    );
    const insert = db.prepare(
      'INSERT INTO reports (bucket, hashed_id, timestamp, payload, received_at) VALUES (?, ?, ?, ?, ?)',
    );
    const stored = new Set<string>();
    const ids = hashedIdPopulation(4);
    const now = Math.floor(Date.now() / 1000);
    for (let i = 0; i < count; i++) {
      const hashedId = ids[i % ids.length]!;
      const timestamp = now - 3600 * (i + 1);
      const payload = syntheticPayload(timestamp);
      insert.run(bucketOf(timestamp), hashedId, timestamp, payload, timestamp + 30);
      stored.add(`${bytesToBase64(hashedId)}:${bytesToBase64(payload)}`);
    }
    return stored;
  } finally {
    db.close();
  }
}

const serverOn = (databasePath: string, lines: string[]) =>
  startNodeServer({
    port: 0,
    host: '127.0.0.1',
    databasePath,
    config: { ...DEFAULT_CONFIG, queriesPerMinute: 0 },
    log: (line) => lines.push(line),
  });

describe('upgrades', () => {
  it('migrates a first-version database in one transaction, logs it, and finds every report', async () => {
    const path = join(folder, 'first.db');
    const stored = firstVersionDatabase(path, 40);
    const lines: string[] = [];
    const server = await serverOn(path, lines);
    try {
      const later = readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER }).length - 1;
      expect(lines.filter((line) => line.startsWith('applied'))).toEqual([
        expect.stringMatching(
          new RegExp(`^applied ${later} migrations in one transaction: 0001_seal(, \\d{4}_\\w+)*$`),
        ),
      ]);
      const ids = [...new Set([...stored].map((key) => key.split(':')[0]!))];
      const response = await fetch(`${server.url}/v1/reports/query`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ids, limit: 10_000 }),
      });
      const page = (await response.json()) as { reports: Array<{ id: string; payload: string }> };
      expect(new Set(page.reports.map((r) => `${r.id}:${r.payload}`))).toEqual(stored);
    } finally {
      await server.close();
    }
    // Started again, nothing is pending.
    const again: string[] = [];
    await (await serverOn(path, again)).close();
    expect(again.filter((line) => line.startsWith('applied'))).toEqual([]);
  });

  it('refuses, in one line, a database a newer version migrated', async () => {
    const path = join(folder, 'newer.db');
    await (await serverOn(path, [])).close();
    const db = new Database(path);
    const newest = Number(db.prepare('SELECT max(created_at) FROM __drizzle_migrations').pluck().get());
    db.prepare('INSERT INTO "__drizzle_migrations" ("hash", "created_at") VALUES (?, ?)').run('from-later', newest + 1);
    db.close();
    const refused = await serverOn(path, []).then(
      () => undefined,
      (error: Error) => error.message,
    );
    expect(refused).toMatch(
      /^cannot open the database .*newer\.db: its schema is newer than this version of Crowdfind knows/,
    );
    expect(refused).not.toContain('\n');
  });
});
