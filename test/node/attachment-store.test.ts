import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { SqlAttachmentStore } from '../../src/storage/attachments/sql.ts';
import { sqliteExecutor } from '../../src/storage/sql-executor.ts';
import { openDatabase } from '../../src/storage/sqlite/database.ts';
import { attachmentStoreSuite } from '../contract/attachment-store.ts';

const folder = mkdtempSync(join(tmpdir(), 'crowdfind-attachments-'));
const db = openDatabase(join(folder, 'reports.db'));
afterAll(() => {
  db.close();
  rmSync(folder, { recursive: true, force: true });
});

attachmentStoreSuite('a SQLite file', () => new SqlAttachmentStore(sqliteExecutor(db)));
