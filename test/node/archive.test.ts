// The owner's report archive end to end: a real server on a SQLite file whose clock the test
// moves, the CLI's locate and watch with --archive on a real archive file, and the server's
// retention pruning what the archive keeps.
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base64ToBytes, bytesToBase64, sealReport } from '../../crypto/index.ts';
import { runCli } from '../../src/cli/main.ts';
import { openArchiveFile } from '../../src/sdk/archive-file.ts';
import { DEFAULT_CONFIG } from '../../src/rules/config.ts';
import { cliAt } from '../e2e/channel-scenario.ts';
import { startNodeServer, type RunningServer } from '../../src/runtime/node/server.ts';

const DAY_MS = 86_400_000;
const folder = mkdtempSync(join(tmpdir(), 'crowdfind-archive-'));
const file = (name: string) => join(folder, name);
const started = Date.now();
let now = started;
let server: RunningServer;

beforeAll(async () => {
  server = await startNodeServer({
    port: 0,
    host: '127.0.0.1',
    databasePath: file('reports.db'),
    config: DEFAULT_CONFIG,
    clock: () => now,
    log: () => {},
  });
});
afterAll(async () => {
  await server.close();
  rmSync(folder, { recursive: true, force: true });
});

/** The CLI at the test's clock. */
const cli = (...argv: string[]) => cliAt(() => new Date(now), ...argv);

type Record = { timestamp: string; latitude: number; longitude: number; device: string };

/** Sightings of the key file over the last `hours`, uploaded; answers what was sealed. */
async function simulate(keys: string, hours: number, truth: string): Promise<Record[]> {
  const run = await cli('simulate', '--keys', keys, '--server', server.url, '--hours', String(hours), '--truth', truth);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(readFileSync(truth, 'utf8')) as Record[];
}

async function locateJson(...extra: string[]): Promise<Record[]> {
  const run = await cli('locate', '--keys', file('tag.json'), '--server', server.url, '--format', 'json', ...extra);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as Record[];
}

/** A report's identity for comparing lists: when and where it was seen. */
const sighting = (r: { timestamp: string; latitude: number; longitude: number }) =>
  `${r.timestamp} ${r.latitude} ${r.longitude}`;
const sorted = (records: readonly Record[]) => records.map(sighting).sort();

describe('locate --archive keeps history past the server retention', () => {
  let first: Record[] = [];
  let second: Record[] = [];

  it('archives every located report in a file only its owner can read', async () => {
    expect((await cli('keys', 'new', '--name', 'tag', '--out', file('tag.json'))).code).toBe(0);
    first = await simulate(file('tag.json'), 48, file('truth-1.json'));
    expect(first.length).toBeGreaterThan(20);
    const located = await locateJson('--archive', file('plain.db'));
    expect(sorted(located)).toEqual(sorted(first));
    expect(statSync(file('plain.db')).mode & 0o777).toBe(0o600);
  }, 90_000);

  it('after the server pruned them, a later locate shows archived and new reports, each once', async () => {
    now = started + 10 * DAY_MS;
    await server.prune();
    expect(await locateJson('--since', '14d')).toEqual([]);
    second = await simulate(file('tag.json'), 24, file('truth-2.json'));
    const all = sorted([...first, ...second]);
    expect(new Set(all).size).toBe(all.length);

    // The first run merges the archive (old) with the server (new); the second finds the new
    // reports on both sides and still shows each once.
    for (let run = 0; run < 2; run++)
      expect(sorted(await locateJson('--since', '14d', '--archive', file('plain.db')))).toEqual(all);
    // Without the archive only the server's part is left.
    expect(sorted(await locateJson('--since', '14d'))).toEqual(sorted(second));
    // A window wholly before retention comes from the archive alone.
    const old = await locateJson('--since', '14d', '--until', '8d', '--archive', file('plain.db'));
    expect(sorted(old)).toEqual(sorted(first));
  }, 90_000);

  it('exports all of it as GeoJSON and GPX', async () => {
    const all = sorted([...first, ...second]);
    for (const format of ['geojson', 'gpx']) {
      const out = file(`history.${format}`);
      const run = await cli(
        'locate',
        ...['--keys', file('tag.json'), '--server', server.url, '--since', '14d'],
        ...['--archive', file('plain.db'), '--format', format, '--out', out],
      );
      expect(run.code, run.stderr).toBe(0);
      const text = readFileSync(out, 'utf8');
      const exported =
        format === 'geojson'
          ? (
              JSON.parse(text) as {
                features: Array<{ geometry: { coordinates: [number, number] }; properties: { timestamp: string } }>;
              }
            ).features.map(({ geometry, properties }) => ({
              timestamp: properties.timestamp,
              latitude: geometry.coordinates[1],
              longitude: geometry.coordinates[0],
            }))
          : [...text.matchAll(/<trkpt lat="([^"]+)" lon="([^"]+)"><time>([^<]+)<\/time>/g)].map((m) => ({
              timestamp: m[3]!,
              latitude: Number(m[1]),
              longitude: Number(m[2]),
            }));
      expect(exported.map(sighting).sort()).toEqual(all);
    }
  });
});

describe('the archive file', () => {
  it('is encrypted under a passphrase from a file or the environment, and a wrong one is refused', async () => {
    writeFileSync(file('passphrase.txt'), 'correct horse battery staple\n');
    const encrypted = ['--since', '14d', '--archive', file('sealed.db')];
    const located = await locateJson(...encrypted, '--passphrase-file', file('passphrase.txt'));
    expect(located.length).toBeGreaterThan(0);
    const bytes = readFileSync(file('sealed.db'));
    expect(bytes.includes('latitude')).toBe(false);
    expect(bytes.includes(located[0]!.timestamp)).toBe(false);

    process.env.CROWDFIND_ARCHIVE_PASSPHRASE = 'correct horse battery staple';
    try {
      expect(sorted(await locateJson(...encrypted))).toEqual(sorted(located));
      process.env.CROWDFIND_ARCHIVE_PASSPHRASE = 'wrong horse battery staple';
      const wrong = await cli('locate', '--keys', file('tag.json'), '--server', server.url, ...encrypted);
      expect(wrong.code).toBe(2);
      expect(wrong.stderr).toBe(`crowdfind locate: that passphrase does not open ${file('sealed.db')}\n`);
    } finally {
      delete process.env.CROWDFIND_ARCHIVE_PASSPHRASE;
    }
    const none = await cli('locate', '--keys', file('tag.json'), '--server', server.url, ...encrypted);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^crowdfind locate: .*sealed\.db is encrypted; give its passphrase .*\n$/);
  }, 90_000);

  it('is refused, in one line, when others can read it', async () => {
    chmodSync(file('plain.db'), 0o644);
    const run = await cli('locate', '--keys', file('tag.json'), '--server', server.url, '--archive', file('plain.db'));
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^crowdfind locate: .*plain\.db can be read by others \(mode 644\)[^\n]*\n$/);
  });
});

describe('archive import', () => {
  type Shown = { advertisementKey: string; hashedId: string };
  const place = (i: number) => ({ latitude: (4810 + i) / 100, longitude: (1150 + i) / 100 });

  /** A report an AirTag-style accessory's finder sealed at `at`, as Apple's network serves it. */
  async function sealedAt(keys: string, at: Date, i: number) {
    const shown = JSON.parse((await cli('keys', 'show', '--keys', keys, '--at', at.toISOString())).stdout) as Shown[];
    const payload = sealReport(base64ToBytes(shown[0]!.advertisementKey), {
      timestamp: at,
      confidence: 2,
      accuracy: 20 + i,
      status: 0,
      ...place(i),
    });
    return { hashedId: shown[0]!.hashedId, payload, at, i };
  }
  /** The 89-byte form Apple serves since macOS 14: one more byte after the timestamp. */
  const extended = (payload: Uint8Array) => new Uint8Array([...payload.subarray(0, 4), 0, ...payload.subarray(4)]);

  it('adds the sealed reports FindMy.py and macless-haystack saved, opened with the owner’s keys, each once', async () => {
    expect(
      (await cli('keys', 'new', '--rolling', '--paired', '30d', '--name', 'airtag', '--out', file('airtag.json'))).code,
    ).toBe(0);
    expect((await cli('keys', 'new', '--name', 'stranger', '--out', file('stranger.json'))).code).toBe(0);
    // Weeks older than any server keeps: history only Apple's network and these files have.
    const reports = await Promise.all(
      [25, 20, 16, 15, 12].map((days, i) => sealedAt(file('airtag.json'), new Date(now - days * DAY_MS), i)),
    );
    const stranger = await sealedAt(file('stranger.json'), new Date(now - 14 * DAY_MS), 9);
    const b64 = (bytes: Uint8Array) => bytesToBase64(bytes);

    // FindMy.py, findmy/reports/reports.py, LocationReport.to_json(): one report per file
    // (util/files.py save_and_return_json writes it with indent=4), or a list of such mappings.
    const findMyPy = (r: (typeof reports)[number], decrypted: boolean) => ({
      type: decrypted ? 'locReportDecrypted' : 'locReportEncrypted',
      payload: b64(r.payload),
      hashed_adv_key: r.hashedId,
      // KeyPair.to_json() (findmy/keys.py): a locReportDecrypted carries its key; import ignores it
      // and opens the report with the owner's key file.
      ...(decrypted ? { key: { type: 'keypair', private_key: b64(new Uint8Array(28)), key_type: 1, name: null } } : {}),
    });
    writeFileSync(file('last_report.json'), JSON.stringify(findMyPy(reports[0]!, false), null, 4));
    writeFileSync(
      file('findmy-reports.json'),
      JSON.stringify([findMyPy(reports[1]!, true), findMyPy(reports[0]!, false)], null, 4),
    );
    // macless-haystack, endpoint/mh_endpoint.py do_POST: Apple's fetch answer passed on, newest
    // first, with the 89-byte payloads Apple now serves, and a report of someone else's key.
    writeFileSync(
      file('macless.json'),
      JSON.stringify({
        results: [...reports.slice(2), stranger].map((r) => ({
          datePublished: r.at.getTime() + 60_000,
          payload: b64(extended(r.payload)),
          description: 'found',
          id: r.hashedId,
          statusCode: 0,
        })),
        statusCode: '200',
      }),
    );

    const imported = async (from: string) => {
      const run = await cli(
        ...['archive', 'import', '--keys', file('airtag.json'), '--archive', file('imported.db')],
        ...['--from', from],
      );
      expect(run.code, run.stderr).toBe(0);
      return JSON.parse(run.stdout) as { format: string; read: number; added: number; alreadyArchived: number };
    };
    expect(await imported(file('last_report.json'))).toMatchObject({ format: 'FindMy.py', read: 1, added: 1 });
    expect(await imported(file('findmy-reports.json'))).toMatchObject({ read: 2, added: 1, alreadyArchived: 1 });
    expect(await imported(file('macless.json'))).toMatchObject({
      format: 'macless-haystack',
      read: 4,
      added: 3,
      notOurs: 1,
      archived: 5,
    });

    // locate shows the imported history with the server's (none for this accessory), each once.
    const run = await cli(
      ...['locate', '--keys', file('airtag.json'), '--server', server.url, '--since', '30d'],
      ...['--archive', file('imported.db'), '--format', 'json'],
    );
    expect(run.code, run.stderr).toBe(0);
    const located = JSON.parse(run.stdout) as Array<Record & { accuracy: number }>;
    expect(located.map((r) => [r.timestamp, r.latitude, r.longitude, r.accuracy, r.device]).sort()).toEqual(
      reports
        .map((r) => [
          new Date(Math.floor(r.at.getTime() / 1000) * 1000).toISOString(),
          ...Object.values(place(r.i)),
          20 + r.i,
          'airtag',
        ])
        .sort(),
    );
  }, 90_000);

  it('refuses a file in neither format, in one line', async () => {
    writeFileSync(file('other.json'), JSON.stringify({ reports: [] }));
    const run = await cli(
      ...['archive', 'import', '--keys', file('airtag.json'), '--archive', file('imported.db')],
      ...['--from', file('other.json')],
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^crowdfind archive import: .*other\.json: neither FindMy\.py's [^\n]*\n$/);
  });
});

describe('watch --archive', () => {
  it('archives each report it shows before showing it', async () => {
    expect((await cli('keys', 'new', '--name', 'bike', '--out', file('bike.json'))).code).toBe(0);
    const [shown] = JSON.parse((await cli('keys', 'show', '--keys', file('bike.json'))).stdout) as Array<{
      advertisementKey: string;
    }>;
    let printed = '';
    let errors = '';
    let subscribed!: () => void;
    const watchingNow = new Promise<void>((resolve) => (subscribed = resolve));
    let finished = false;
    const watching = runCli(
      [
        ...['watch', '--keys', file('bike.json'), '--server', server.url, '--format', 'json', '--count', '1'],
        ...['--archive', file('watched.db')],
      ],
      {
        stdout: (t) => (printed += t),
        stderr: (t) => void ((errors += t), t.includes('watching') && subscribed()),
        now: () => new Date(now),
      },
    ).finally(() => (finished = true));
    await watchingNow;
    // The subscription exists before its event stream opens, and the server sends nothing to a
    // stream that is not open yet: a finder uploads sightings until the watch has shown one.
    const uploaded: string[] = [];
    for (let i = 0; !finished; i++) {
      const latitude = (1000 + i) / 100;
      const found = await cli(
        ...['report', '--key', shown!.advertisementKey, '--server', server.url],
        ...['--lat', String(latitude), '--lon', '20'],
      );
      expect(found.code, found.stderr).toBe(0);
      uploaded.push(String(latitude));
    }
    expect(await watching, errors).toBe(0);
    const seen = JSON.parse(printed) as Record;

    const archive = await openArchiveFile(file('watched.db'));
    try {
      const archived = await archive.between(new Date(0), new Date(now + DAY_MS));
      expect(archived.map((r) => `${r.timestamp.toISOString()} ${r.latitude} ${r.longitude}`)).toContain(
        sighting(seen),
      );
      for (const report of archived) expect(uploaded).toContain(String(report.latitude));
    } finally {
      archive.close();
    }
    expect(statSync(file('watched.db')).mode & 0o777).toBe(0o600);
  }, 60_000);
});
