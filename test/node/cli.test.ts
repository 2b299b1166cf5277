// The crowdfind CLI end to end, against a real server on a temporary SQLite file.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bytesToBase64,
  channelDay,
  generatePrivateKey,
  hexToBytes,
  keyPairOf,
  mailboxCapability,
  NOTICE_LENGTH,
  parseContact,
  RollingAccessory,
  sealNotice,
  sealReport,
} from '../../crypto/index.ts';
import { MAX_LIVE_NOTICES_PER_ID } from '../../src/contract/limits.ts';
import { firstReceivedOfEachSeal } from '../../src/sdk/owner.ts';
import { runCli } from '../../src/cli/main.ts';
import { DEFAULT_CONFIG } from '../../src/rules/config.ts';
import { startNodeServer, type RunningServer } from '../../src/runtime/node/server.ts';
import { readKeyFile } from '../../src/sdk/key-files.ts';
import { readPairing } from '../../src/sdk/pairing.ts';
import { vectors } from './vectors.ts';

const execFileAsync = promisify(execFile);
const folder = mkdtempSync(join(tmpdir(), 'crowdfind-cli-'));
const file = (name: string) => join(folder, name);
let server: RunningServer;

beforeAll(async () => {
  server = await startNodeServer({
    port: 0,
    host: '127.0.0.1',
    databasePath: file('reports.db'),
    config: DEFAULT_CONFIG,
    log: () => {},
  });
});
afterAll(async () => {
  await server.close();
  rmSync(folder, { recursive: true, force: true });
});

async function cli(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

describe('owner and finder, end to end', () => {
  it('locates every report of a 48-hour simulated AirTag, rolling keys and all, and nothing else', async () => {
    expect(
      (await cli('keys', 'new', '--rolling', '--paired', '3d', '--name', 'tag', '--out', file('tag.json'))).code,
    ).toBe(0);
    const simulated = await cli(
      'simulate',
      '--keys',
      file('tag.json'),
      '--server',
      server.url,
      '--hours',
      '48',
      '--finders',
      '3',
      '--truth',
      file('truth.json'),
    );
    expect(simulated.code, simulated.stderr).toBe(0);
    const summary = JSON.parse(simulated.stdout) as { reports: number; accepted: number };
    expect(summary.accepted).toBe(summary.reports);
    const truth = JSON.parse(readFileSync(file('truth.json'), 'utf8')) as Array<{
      timestamp: string;
      keyIndex: number;
    }>;
    expect(truth.length).toBe(summary.reports);
    // Both schedules were exercised: primary keys before the first 04:00, secondary keys after.
    const device = readKeyFile(readFileSync(file('tag.json')), 'tag')[0]!;
    const primaryStart = (device.accessory as RollingAccessory).primaryIndexAt(new Date(Date.now() - 48 * 3_600_000));
    expect(truth.some((t) => t.keyIndex >= primaryStart)).toBe(true);
    expect(truth.some((t) => t.keyIndex < 10)).toBe(true);

    for (const api of ['native', 'apple']) {
      const located = await cli(
        'locate',
        '--keys',
        file('tag.json'),
        '--server',
        server.url,
        '--since',
        '3d',
        '--format',
        'json',
        '--api',
        api,
      );
      expect(located.code, located.stderr).toBe(0);
      const reports = JSON.parse(located.stdout) as typeof truth;
      expect(reports).toHaveLength(truth.length);
      expect(new Set(reports.map((r) => JSON.stringify(r)))).toEqual(new Set(truth.map((t) => JSON.stringify(t))));
      const times = reports.map((r) => Date.parse(r.timestamp));
      expect(times).toEqual([...times].sort((a, b) => b - a)); // newest first
    }
  });

  it('rebuilds the key from a raw advertisement and address, carries its status, and round-trips to locate', async () => {
    writeFileSync(file('pair.json'), (await cli('keys', 'new', '--name', 'pair')).stdout);
    const [shown] = JSON.parse((await cli('keys', 'show', '--keys', file('pair.json'))).stdout) as Array<{
      advertisementHex: string;
      bleAddress: string;
      hashedId: string;
    }>;
    const advertisement = shown!.advertisementHex.slice(0, 12) + '90' + shown!.advertisementHex.slice(14); // status byte 0x90
    const reported = await cli(
      'report',
      '--advertisement',
      advertisement,
      '--address',
      shown!.bleAddress,
      '--lat',
      '-33.8688',
      '--lon',
      '151.2093',
      '--accuracy',
      '12',
      '--server',
      server.url,
    );
    expect(reported.code, reported.stderr).toBe(0);
    expect(JSON.parse(reported.stdout)).toEqual({
      accepted: 1,
      duplicates: 0,
      rejected: 0,
      hashedId: shown!.hashedId,
      notice: { status: 'none' },
    });
    const located = JSON.parse(
      (await cli('locate', '--keys', file('pair.json'), '--server', server.url, '--format', 'json')).stdout,
    );
    expect(located).toEqual([
      expect.objectContaining({
        latitude: -33.8688,
        longitude: 151.2093,
        accuracy: 12,
        status: 0x90,
        hashedId: shown!.hashedId,
        device: 'pair',
      }),
    ]);
    for (const format of ['table', 'csv', 'gpx', 'geojson']) {
      const out = await cli('locate', '--keys', file('pair.json'), '--server', server.url, '--format', format);
      expect(out.stdout, format).toContain(format === 'geojson' ? '151.2093' : '-33.8688');
      // --out writes the format its extension names, exactly what --format prints.
      const extension = format === 'table' ? 'txt' : format;
      const written = await cli(
        'locate',
        '--keys',
        file('pair.json'),
        '--server',
        server.url,
        '--out',
        file(`out.${extension}`),
      );
      expect(written.code, written.stderr).toBe(0);
      expect(readFileSync(file(`out.${extension}`), 'utf8'), extension).toBe(out.stdout);
    }
    const contradicted = await cli(
      'locate',
      '--keys',
      file('pair.json'),
      '--server',
      server.url,
      '--format',
      'csv',
      '--out',
      file('contradicted.gpx'),
    );
    expect(contradicted.code).toBe(2);
    expect(contradicted.stderr).toMatch(
      /--format csv contradicts --out .*contradicted\.gpx, whose extension means gpx$/m,
    );
    expect(existsSync(file('contradicted.gpx'))).toBe(false);
  });
});

describe('a planted lost-mode notice', () => {
  it('is reported to the finder as forged and its text is never shown', async () => {
    // Someone who heard the victim's key publishes first for its id, signing with their own key.
    const victim = keyPairOf(generatePrivateKey());
    const planter = generatePrivateKey();
    const expiresAt = Math.floor(Date.now() / 1000) + 86_400;
    const planted = sealNotice(planter, {
      message: 'Call 0900 123 456 now',
      contact: parseContact('+449001234567'),
      expiresAt,
    });
    const published = await fetch(`${server.url}/v1/notices`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        notices: [
          {
            id: bytesToBase64(victim.hashedId),
            notice: bytesToBase64(planted),
            expiresAt: expiresAt * 1000,
            withdrawHash: bytesToBase64(new Uint8Array(32)),
          },
        ],
      }),
    });
    expect(published.status).toBe(200);
    const reported = await cli(
      'report',
      '--key',
      bytesToBase64(victim.advertisementKey),
      '--lat',
      '1',
      '--lon',
      '2',
      '--server',
      server.url,
    );
    expect(reported.code, reported.stderr).toBe(0);
    expect(JSON.parse(reported.stdout).notice).toMatchObject({ status: 'forged' });
    expect(reported.stderr).toMatch(/not the owner's/);
    expect(reported.stdout + reported.stderr).not.toMatch(/0900|449001234567/);
  });
});

describe('lost mode against strangers who know the key in force', () => {
  /** A fixed key pair's key file (one key forever: the id every passer-by heard), and that key. */
  async function wallet(name: string) {
    expect((await cli('keys', 'new', '--name', name, '--out', file(`${name}.json`))).code).toBe(0);
    const [shown] = JSON.parse((await cli('keys', 'show', '--keys', file(`${name}.json`))).stdout) as Array<{
      advertisementKey: string;
      hashedId: string;
    }>;
    return shown!;
  }
  /** What a stranger can publish for an id: bytes that are no notice of its key, under a withdraw hash of their own. */
  const squat = (id: string) =>
    fetch(`${server.url}/v1/notices`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        notices: [
          {
            id,
            notice: bytesToBase64(crypto.getRandomValues(new Uint8Array(NOTICE_LENGTH))),
            expiresAt: (Math.floor(Date.now() / 1000) + 31 * 86_400 - 60) * 1000,
            withdrawHash: bytesToBase64(crypto.getRandomValues(new Uint8Array(32))),
          },
        ],
      }),
    });
  const lostOn = (name: string, ...extra: string[]) =>
    cli('lost', 'on', '--keys', file(`${name}.json`), '--server', server.url, '--message', 'My wallet', ...extra);
  const finderSees = async (key: string) => {
    const found = await cli('report', '--key', key, '--lat', '1', '--lon', '2', '--server', server.url);
    expect(found.code, found.stderr).toBe(0);
    return { json: JSON.parse(found.stdout).notice as { status: string; contact?: { value: string } }, ...found };
  };

  it('still brings the owner’s notice to finders, with the contact partly hidden unless the owner shows it', async () => {
    const key = await wallet('squatted');
    expect((await squat(key.hashedId)).status).toBe(200);
    const on = await lostOn('squatted', '--contact', 'bob@icloud.com');
    expect(on.code, on.stderr).toBe(0);
    expect(JSON.parse(on.stdout)).toMatchObject({ published: 1, alreadyPublished: 0, notTaken: 0 });
    const seen = await finderSees(key.advertisementKey);
    expect(seen.json).toMatchObject({ status: 'valid', contact: { kind: 'email', value: 'b***@i***.com' } });
    expect(seen.stdout + seen.stderr).not.toContain('bob@icloud.com');

    expect((await cli('lost', 'off', '--keys', file('squatted.json'), '--server', server.url)).code).toBe(0);
    expect((await finderSees(key.advertisementKey)).json.status).toBe('forged');
    const full = await lostOn('squatted', '--contact', '+44 20 7946 0018', '--full-contact');
    expect(JSON.parse(full.stdout)).toMatchObject({ published: 1 });
    expect((await finderSees(key.advertisementKey)).json.contact).toEqual({ kind: 'phone', value: '+44 20 7946 0018' });
  });

  it('tells the owner, and exits 1, when strangers filled every notice of the key first', async () => {
    const key = await wallet('filled');
    for (let i = 0; i < MAX_LIVE_NOTICES_PER_ID; i++) expect((await squat(key.hashedId)).status).toBe(200);
    const on = await lostOn('filled', '--contact', '+15550100');
    expect(on.code).toBe(1);
    expect(JSON.parse(on.stdout)).toMatchObject({ published: 0, alreadyPublished: 0, notTaken: 1 });
    expect(on.stderr).toMatch(/no notice took: 1 keys have no notice of yours: 1 are full: 4 live notices/);
  });
});

describe('key files, built from the protocol vectors', () => {
  const [k1, k2, k3] = vectors.keys;
  const b = vectors.rolling_keys.chain_B;
  const idsOf = (content: string | Uint8Array, name = 'file') =>
    readKeyFile(typeof content === 'string' ? new TextEncoder().encode(content) : content, name).map((d) => ({
      name: d.name,
      ids: d.accessory
        .candidateKeys(new Date(b.time_to_index_examples.paired_at), new Date(b.time_to_index_examples.paired_at))
        .map((c) => c.hashedIdBase64),
    }));

  it('reads FindMy.py keypair, accessory and custom rolling key JSON', () => {
    expect(
      idsOf(JSON.stringify({ type: 'keypair', private_key: k1!.private_key_b64, key_type: 1, name: 'one' })),
    ).toEqual([{ name: 'one', ids: [k1!.hashed_adv_key_b64] }]);
    expect(
      idsOf(
        JSON.stringify({
          type: 'custom_rolling_key_accessory',
          private_keys: [k1!.private_key_hex, k2!.private_key_hex],
        }),
      )[0]!.ids,
    ).toEqual([k1!.hashed_adv_key_b64, k2!.hashed_adv_key_b64]);
    const accessory = {
      type: 'accessory',
      master_key: b.master_private_key_hex,
      skn: b.skn_hex,
      sks: b.sks_hex,
      paired_at: b.time_to_index_examples.paired_at,
      alignment_date: null,
      alignment_index: 0,
      name: 'airtag',
    };
    const [device] = idsOf(JSON.stringify(accessory));
    for (const k of [...b.primary.filter((p) => p.index <= 2), b.secondary.find((s) => s.index === 1)!])
      expect(device!.ids).toContain(k.hashed_adv_key_b64);
  });

  it('reads a macless devices.json with additional keys, one device each', () => {
    const devices = [
      { id: 1, name: 'bike', privateKey: k1!.private_key_b64, additionalKeys: [k2!.private_key_b64], isActive: true },
      { id: 2, name: 'bag', privateKey: k3!.private_key_b64, additionalKeys: [] },
    ];
    expect(idsOf(JSON.stringify(devices))).toEqual([
      { name: 'bike', ids: [k1!.hashed_adv_key_b64, k2!.hashed_adv_key_b64] },
      { name: 'bag', ids: [k3!.hashed_adv_key_b64] },
    ]);
  });

  it('reads .keys text, a bare base64 key and Apple’s 85-byte blob', () => {
    const keysFile = `Private key: ${k2!.private_key_b64}\nAdvertisement key: ${k2!.adv_key_b64}\nHashed adv key: ${k2!.hashed_adv_key_b64}\n`;
    expect(idsOf(keysFile)[0]!.ids).toEqual([k2!.hashed_adv_key_b64]);
    expect(idsOf(`${k3!.private_key_b64}\n`)[0]!.ids).toEqual([k3!.hashed_adv_key_b64]);
    expect(idsOf(hexToBytes(k1!.private_key_apple85_hex))[0]!.ids).toEqual([k1!.hashed_adv_key_b64]);
  });

  it('writes what it reads: keys new output is FindMy.py JSON that reads back', async () => {
    const written = JSON.parse((await cli('keys', 'new', '--name', 'x')).stdout) as {
      type: string;
      private_key: string;
    };
    expect(written.type).toBe('keypair');
    expect(idsOf(JSON.stringify(written))[0]!.ids).toEqual([
      bytesToBase64(keyPairOf(Buffer.from(written.private_key, 'base64')).hashedId),
    ]);
  });
});

describe('bad input: one line, non-zero exit', () => {
  it('names the problem for each command', async () => {
    writeFileSync(file('garbage.txt'), 'this is not a key file at all');
    writeFileSync(file('key.json'), (await cli('keys', 'new')).stdout);
    writeFileSync(file('odd.json'), JSON.stringify({ type: 'keys' }));
    await cli('pair', '--name', 'X', '--owner', file('bad-pair.owner.json'), '--device', file('bad-pair.device.json'));
    const cases: Array<[string[], RegExp]> = [
      [
        ['locate', '--keys', file('missing.json'), '--server', server.url],
        /cannot read .*missing\.json: no such file$/m,
      ],
      [['locate', '--keys', file('garbage.txt'), '--server', server.url], /unrecognised key file/],
      [
        ['locate', '--keys', file('bad-pair.owner.json'), '--server', server.url],
        /is a pairing file \(crowdfind pair\), not a key file: .* --pairing/,
      ],
      [
        ['locate', '--keys', file('odd.json'), '--server', server.url],
        /odd: not a key file this reads \(type "keys"\): expected FindMy.py's "keypair"/,
      ],
      [
        ['inbox', '--pairing', file('key.json'), '--server', server.url],
        /this is a key file, not a pairing file: --keys takes it/,
      ],
      [['locate', '--keys', file('key.json'), '--server', 'not a url'], /not a server URL/],
      [
        ['locate', '--keys', file('key.json'), '--server', 'http://127.0.0.1:9'],
        /cannot reach http:\/\/127\.0\.0\.1:9/,
      ],
      [['locate', '--keys', file('key.json'), '--server', server.url, '--since', 'yesterday-ish'], /not a time/],
      [['locate', '--keys', file('key.json'), '--server', server.url, '--format', 'xml'], /--format must be one of/],
      [['simulate', '--keys', file('key.json'), '--server', server.url, '--finders', '0'], /--finders/],
      [
        ['report', '--key', 'AAAA', '--lat', '1', '--lon', '2', '--server', server.url],
        /payload|advertisement key|28 bytes/,
      ],
      [
        [
          'report',
          '--advertisement',
          '07ff4c0012020000',
          '--address',
          'C0:00:00:00:00:00',
          '--lat',
          '1',
          '--lon',
          '2',
          '--server',
          server.url,
        ],
        /nearby advertisement/,
      ],
      [
        [
          'report',
          '--key',
          bytesToBase64(keyPairOf(hexToBytes(k1Hex())).advertisementKey),
          '--lat',
          '91',
          '--lon',
          '2',
          '--server',
          server.url,
        ],
        /latitude/,
      ],
      [['keys', 'show'], /--keys is required/],
      [['keys', 'show', '--keys', file('key.json'), '--bogus'], /Unknown option '--bogus'/],
      // `--server $S` with S unset: parseArgs explains this in three lines.
      [
        ['locate', '--keys', file('key.json'), '--server', '--since', '1d'],
        /--server needs a value, but --since follows it$/m,
      ],
    ];
    for (const [argv, message] of cases) {
      const result = await cli(...argv);
      expect(result.code, argv.join(' ')).not.toBe(0);
      expect(result.stderr.trimEnd().split('\n'), argv.join(' ')).toHaveLength(1);
      expect(result.stderr, argv.join(' ')).toMatch(message);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
    expect((await cli('frobnicate')).code).toBe(2);
  });

  it('runs as `crowdfind` through its bin, with --help on every command', async () => {
    const bin = new URL('../../bin/crowdfind.js', import.meta.url).pathname;
    // Not execFileSync: blocking this process for the minute a loaded machine takes would stall
    // the server the other tests share, and leave their kept-alive connections reset.
    for (const command of [[], ['keys', 'new'], ['keys', 'show'], ['report'], ['simulate'], ['locate'], ['serve']]) {
      const { stdout } = await execFileAsync(process.execPath, [bin, ...command, '--help'], { encoding: 'utf8' });
      expect(stdout).toMatch(/crowdfind/);
    }
  }, 180_000);
});

describe('every option checked before anything is sent', () => {
  /** How many messages wait in the phone's mailbox of today: what the owner has sent it. */
  async function sentToPhone(ownerFile: string): Promise<number> {
    const owner = readPairing(readFileSync(ownerFile, 'utf8'));
    const capability = mailboxCapability(owner.secret, 'to-device', channelDay(Date.now()));
    const answer = await fetch(`${server.url}/v1/mailboxes/messages/read`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ capability: bytesToBase64(capability) }),
    });
    return ((await answer.json()) as { messages: unknown[] }).messages.length;
  }

  it('command refuses a bad --wait, --expires, a message without text and text on a ring, sending nothing', async () => {
    const ownerFile = file('checked.owner.json');
    const paired = await cli('pair', '--name', 'P', '--owner', ownerFile, '--device', file('checked.device.json'));
    expect(paired.code, paired.stderr).toBe(0);
    const refused: Array<[string[], RegExp]> = [
      [['ring', '--wait', '30'], /--wait must be a span like .* got "30"/],
      [['ring', '--expires', '10'], /--expires must be a span/],
      [['message'], /a message needs its text/],
      [['message', '--text', '  '], /a message needs its text/],
      [['ring', '--text', 'hello'], /--text goes with message and lost, not ring/],
      [['locate', '--callback', '+15550100'], /--callback goes with message and lost, not locate/],
    ];
    for (const [argv, message] of refused) {
      const result = await cli('command', ...argv, '--pairing', ownerFile, '--server', server.url);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.stderr.trimEnd().split('\n'), argv.join(' ')).toHaveLength(1);
      expect(result.stderr, argv.join(' ')).toMatch(message);
      expect(result.stdout, argv.join(' ')).toBe('');
    }
    expect(await sentToPhone(ownerFile)).toBe(0);
  });

  it('device run says what --camera must hold, and checks it, --log and --state at start', async () => {
    const deviceFile = file('camera.device.json');
    await cli('pair', '--name', 'C', '--owner', file('camera.owner.json'), '--device', deviceFile);
    mkdirSync(file('empty-camera'));
    writeFileSync(file('not-a-folder'), 'x');
    const refused: Array<[string, RegExp]> = [
      [file('no-camera'), /cannot read .*no-camera: no such folder$/],
      [file('not-a-folder'), /cannot read .*not-a-folder: it is a file, not a folder$/],
      [file('empty-camera'), /--camera .*empty-camera holds no files: put there the image files/],
    ];
    for (const [camera, message] of refused) {
      const run = ['device', 'run', '--pairing', deviceFile, '--server', server.url, '--lat', '1', '--lon', '2'];
      const result = await cli(...run, '--camera', camera, '--count', '0');
      expect(result.code, camera).toBe(2);
      expect(result.stderr.trimEnd().split('\n'), camera).toHaveLength(1);
      expect(result.stderr.trimEnd(), camera).toMatch(message);
    }
    writeFileSync(file('camera.device.json.state'), 'not json');
    const files: Array<[string[], RegExp]> = [
      [['--log', file('no-folder/phone.log')], /cannot write .*no-folder\/phone\.log: no such file$/],
      [[], /camera\.device\.json\.state is not a phone's record of obeyed commands/],
    ];
    for (const [argv, message] of files) {
      const run = ['device', 'run', '--pairing', deviceFile, '--server', server.url, '--lat', '1', '--lon', '2'];
      const result = await cli(...run, ...argv, '--count', '0');
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.stderr.trimEnd(), argv.join(' ')).toMatch(message);
    }
    expect((await cli('device', 'run', '--help')).stdout).toMatch(
      /--camera DIR is the phone's camera: a\s+folder of image files/,
    );
  });

  it('simulate refuses a --truth it cannot write before it uploads anything', async () => {
    writeFileSync(file('untruthful.json'), (await cli('keys', 'new')).stdout);
    const keys = ['--keys', file('untruthful.json'), '--server', server.url];
    const result = await cli('simulate', ...keys, '--hours', '2', '--truth', file('no-folder/truth.json'));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/cannot write .*no-folder\/truth\.json: no such file$/m);
    const located = await cli('locate', ...keys, '--format', 'json');
    expect(JSON.parse(located.stdout)).toEqual([]);
  });

  it('lost on refuses a bad watch option, or one without --watch, before it publishes', async () => {
    writeFileSync(file('unpublished.json'), (await cli('keys', 'new', '--name', 'u')).stdout);
    const lostOn = ['lost', 'on', '--keys', file('unpublished.json'), '--server', server.url];
    const notice = ['--message', 'Red bag', '--contact', '+15550100'];
    const refused: Array<[string[], RegExp]> = [
      [['--watch', '--format', 'xml'], /--format must be table or json/],
      [['--watch', '--count', '0'], /--count must be a positive integer/],
      [['--watch', '--webhook', 'http://127.0.0.1:9/hook'], /--webhook and --webhook-secret go together/],
      [['--format', 'json'], /--format goes with --watch/],
      [['--watch', '--passphrase-file', file('no-passphrase')], /--passphrase-file goes with --archive/],
      [
        ['--watch', '--archive', file('watch.db'), '--passphrase-file', file('no-passphrase')],
        /cannot read .*no-passphrase/,
      ],
    ];
    for (const [argv, message] of refused) {
      const result = await cli(...lostOn, ...notice, ...argv);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.stderr, argv.join(' ')).toMatch(message);
    }
    const status = await cli('lost', 'status', '--keys', file('unpublished.json'), '--server', server.url);
    expect(JSON.parse(status.stdout)).toMatchObject({ lost: false, liveNotices: 0 });
  });
});

describe('exit codes and streams', () => {
  it('watch refuses a non-MQTT --mqtt and a short webhook secret (2), and an unreachable broker is exit 1 as a server is', async () => {
    writeFileSync(file('watched.json'), (await cli('keys', 'new')).stdout);
    const watch = ['watch', '--keys', file('watched.json'), '--server', server.url, '--count', '1'];
    const cases: Array<[string[], number, RegExp]> = [
      [['--mqtt', 'http://127.0.0.1:1883'], 2, /--mqtt takes mqtt, mqtts, ws, wss URLs, not http$/m],
      [['--mqtt', 'broker:1883'], 2, /--mqtt takes mqtt, mqtts, ws, wss URLs, not broker$/m],
      [['--mqtt', 'not a url'], 2, /--mqtt: not a URL/],
      [
        ['--webhook', 'http://127.0.0.1:9/hook', '--webhook-secret', 'short'],
        2,
        /--webhook-secret must be 16 to 256 characters, got 5$/m,
      ],
      [
        ['--webhook', 'ftp://127.0.0.1/hook', '--webhook-secret', 'x'.repeat(16)],
        2,
        /--webhook takes http, https URLs, not ftp$/m,
      ],
      [['--mqtt', 'mqtt://user:pw@127.0.0.1:9'], 1, /--mqtt: cannot connect to mqtt:\/\/…@127\.0\.0\.1:9/],
    ];
    for (const [argv, code, message] of cases) {
      const result = await cli(...watch, ...argv);
      expect(result.code, argv.join(' ')).toBe(code);
      expect(result.stderr.trimEnd().split('\n'), argv.join(' ')).toHaveLength(1);
      expect(result.stderr, argv.join(' ')).toMatch(message);
      expect(result.stderr).not.toContain('pw');
    }
    const unreachable = await cli('locate', '--keys', file('watched.json'), '--server', 'http://127.0.0.1:9');
    expect(unreachable.code).toBe(1);
  });

  it('device run says on stderr that it started, and puts its warnings there, keeping stdout for what the phone does', async () => {
    const deviceFile = file('streams.device.json');
    await cli('pair', '--name', 'Streams', '--owner', file('streams.owner.json'), '--device', deviceFile);
    const run = await cli(
      'device',
      'run',
      '--pairing',
      deviceFile,
      '--server',
      'http://127.0.0.1:9',
      '--lat',
      '1',
      '--lon',
      '2',
      '--count',
      '0',
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^stopped; lost mode off; PAIRED as "Streams"[^\n]*\n$/);
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe(
      "crowdfind device run: Streams answers its owner's commands through http://127.0.0.1:9 (Ctrl-C stops)",
    );
    // What a phone must show its user comes next, then the warning.
    expect(lines[1]).toMatch(/^PAIRED as "Streams"/);
    expect(lines[2]).toMatch(/^crowdfind device run: could not ask whether this phone is lost: cannot reach/);
  });
});

describe('lost on, run again', () => {
  it('says when a kept notice says something else and exits 1, --replace replaces it, and until agrees with status', async () => {
    // A key pair is one key, so this is quick; its notice lasts past --for, as a rolling key's last one does.
    writeFileSync(file('again.json'), (await cli('keys', 'new')).stdout);
    const keys = ['--keys', file('again.json'), '--server', server.url];
    const lostOn = (message: string, ...extra: string[]) =>
      cli('lost', 'on', ...keys, '--message', message, '--contact', '+15550100', '--for', '1d', ...extra);
    const status = async () => JSON.parse((await cli('lost', 'status', ...keys)).stdout) as Record<string, unknown>;

    const first = await lostOn('Blue bag');
    expect(first.code, first.stderr).toBe(0);
    const published = JSON.parse(first.stdout) as { keys: number; published: number; until: string };
    expect(published.published).toBe(published.keys);
    expect(await status()).toMatchObject({ lost: true, message: 'Blue bag', until: published.until });

    const sameAgain = await lostOn('Blue bag');
    expect(sameAgain.code, sameAgain.stderr).toBe(0);
    expect(sameAgain.stderr).toBe('');

    const changed = await lostOn('Red bag');
    expect(changed.code).toBe(1);
    expect(changed.stderr).toMatch(
      new RegExp(
        `^crowdfind lost on: ${published.keys} of ${published.keys} keys already carry a notice that says something else, kept as it was; .*--replace`,
      ),
    );
    expect(await status()).toMatchObject({ message: 'Blue bag' });

    const replaced = await lostOn('Red bag', '--replace');
    expect(replaced.code, replaced.stderr).toBe(0);
    expect(JSON.parse(replaced.stdout)).toMatchObject({ withdrawn: published.keys, published: published.keys });
    expect(await status()).toMatchObject({ lost: true, message: 'Red bag', until: JSON.parse(replaced.stdout).until });
  });
});

describe('nothing lost or guessed without a word', () => {
  it('simulate counts what the server turned away, says so, and exits 1', async () => {
    const capped = await startNodeServer({
      port: 0,
      host: '127.0.0.1',
      databasePath: file('capped.db'),
      config: { ...DEFAULT_CONFIG, maxReportsPerIdPerDay: 2 },
      log: () => {},
    });
    try {
      writeFileSync(file('busy.json'), (await cli('keys', 'new', '--rolling', '--paired', '3d')).stdout);
      const result = await cli(
        'simulate',
        '--keys',
        file('busy.json'),
        '--server',
        capped.url,
        '--finders',
        '8',
        '--hours',
        '3',
      );
      const summary = JSON.parse(result.stdout) as { reports: number; accepted: number; rejected: number };
      expect(summary.rejected).toBeGreaterThan(0);
      expect(summary.accepted + summary.rejected).toBe(summary.reports);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(new RegExp(`turned away ${summary.rejected} of ${summary.reports} reports`));
    } finally {
      await capped.close();
    }
  });

  it('keys new --out never replaces a key file without --force, writes it for the owner only, and says where', async () => {
    const path = file('owned.json');
    const first = await cli('keys', 'new', '--rolling', '--name', 'bike', '--out', path);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain(path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const kept = readFileSync(path, 'utf8');
    const again = await cli('keys', 'new', '--out', path);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists.*--force/);
    expect(readFileSync(path, 'utf8')).toBe(kept);
    expect((await cli('keys', 'new', '--out', path, '--force')).code).toBe(0);
    expect(readFileSync(path, 'utf8')).not.toBe(kept);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('lists the keys commands, and prints its version', async () => {
    for (const argv of [['keys'], ['keys', '--help']]) {
      const listed = await cli(...argv);
      expect(listed.code).toBe(0);
      expect(listed.stdout).toMatch(/keys new/);
      expect(listed.stdout).toMatch(/keys show/);
    }
    expect((await cli('keys', 'frob')).code).toBe(2);
    const typos: Array<[string[], string]> = [
      [['lcoate'], 'unknown command "lcoate"; did you mean "locate"?'],
      [['keys', 'shwo'], 'unknown command "keys shwo"; did you mean "keys show"?'],
      [['lost', 'of'], 'unknown command "lost of"; did you mean "lost on" or "lost off"?'],
      [['frobnicate'], 'unknown command "frobnicate"; see crowdfind --help'],
    ];
    for (const [argv, message] of typos) {
      const typo = await cli(...argv);
      expect(typo.code).toBe(2);
      expect(typo.stderr).toContain(message);
    }
    const version = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect((await cli('--version')).stdout).toBe(`crowdfind ${version.version}\n`);
  });

  it('refuses what it would otherwise guess, and warns where a server will have nothing', async () => {
    writeFileSync(file('tag.json'), (await cli('keys', 'new', '--rolling', '--paired', '2d')).stdout);
    const tag = file('tag.json');
    const refused: Array<[string[], RegExp]> = [
      [
        ['locate', '--keys', tag, '--server', server.url, '--since', '1h', '--until', '2h'],
        /--since .* is after --until/,
      ],
      [['locate', '--keys', tag, '--server', server.url, '--since', '3'], /not a time: "3"/],
      [
        ['locate', '--keys', tag, '--server', server.url, '--since', '2099-01-01'],
        /--since \(2099-01-01T00:00:00\.000Z\) is in the future$/m,
      ],
      [['keys', 'new', '--paired', '3d'], /--paired .* add --rolling/],
      [['keys', 'show', '--keys', tag, '--at', '3d'], /was paired at .* broadcast nothing/],
      [
        ['locate', '--keys', tag, '--server', '127.0.0.1:3000'],
        /--server: not a.*URL: 127\.0\.0\.1:3000 \(write it as http:\/\//,
      ],
      [
        ['simulate', '--keys', tag, '--server', server.url, '--route', file('nope.geojson')],
        /cannot read .*nope\.geojson: no such file$/m,
      ],
    ];
    for (const [argv, message] of refused) {
      const result = await cli(...argv);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.stderr, argv.join(' ')).toMatch(message);
    }
    const far = await cli('locate', '--keys', tag, '--server', server.url, '--since', '30d');
    expect(far.code).toBe(0);
    expect(far.stderr).toMatch(/--since reaches back before 7 days; servers keep reports for RETENTION_DAYS/);
    // Simulated from the pairing, and the summary says so.
    const paired = (JSON.parse(readFileSync(tag, 'utf8')) as { paired_at: string }).paired_at;
    const simulated = await cli('simulate', '--keys', tag, '--server', server.url, '--hours', '200', '--finders', '1');
    expect(simulated.code, simulated.stderr).toBe(0);
    expect(new Date((JSON.parse(simulated.stdout) as { from: string }).from).getTime()).toBe(
      new Date(paired).getTime(),
    );
  });
});

describe('replayed reports', () => {
  it('locate shows a report once, at the time the finder sealed, however often it was replayed with forged times', async () => {
    writeFileSync(file('replayed.json'), (await cli('keys', 'new', '--name', 'bag')).stdout);
    const [shown] = JSON.parse((await cli('keys', 'show', '--keys', file('replayed.json'))).stdout) as Array<{
      advertisementKey: string;
      hashedId: string;
    }>;
    const sealedAt = new Date(Date.now() - 3_600_000);
    sealedAt.setUTCMilliseconds(0);
    const reported = await cli(
      'report',
      '--key',
      shown!.advertisementKey,
      '--lat',
      '48.2',
      '--lon',
      '16.37',
      '--time',
      sealedAt.toISOString(),
      '--server',
      server.url,
    );
    expect(reported.code, reported.stderr).toBe(0);
    const query = await fetch(`${server.url}/v1/reports/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ids: [shown!.hashedId] }),
    });
    const [stored] = ((await query.json()) as { reports: Array<{ payload: string }> }).reports;
    // A replayer who fetched it re-uploads it with times a day and two days earlier: other days.
    for (const daysEarlier of [1, 2]) {
      const forged = Buffer.from(stored!.payload, 'base64');
      forged.writeUInt32BE(forged.readUInt32BE(0) - daysEarlier * 86_400);
      forged[4] = 3;
      const replay = await fetch(`${server.url}/v1/reports`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ reports: [{ id: shown!.hashedId, payload: forged.toString('base64') }] }),
      });
      // The server finds the seal under the real day: a duplicate, not stored again.
      expect(await replay.json()).toEqual({ accepted: 0, duplicates: 1 });
    }
    for (const api of ['native', 'apple']) {
      const located = JSON.parse(
        (await cli('locate', '--keys', file('replayed.json'), '--server', server.url, '--format', 'json', '--api', api))
          .stdout,
      ) as Array<{ timestamp: string; confidence: number }>;
      expect(located, api).toEqual([expect.objectContaining({ timestamp: sealedAt.toISOString(), confidence: 2 })]);
    }
  });
});

describe('FindMy.py interoperability', () => {
  it('writes times Python 3.10 reads, and reads FindMy.py’s own accessory file as the same key schedule', async () => {
    const ours = JSON.parse(
      (await cli('keys', 'new', '--rolling', '--paired', '2026-11-27T15:27:26.5Z')).stdout,
    ) as Record<string, unknown>;
    // datetime.fromisoformat in Python 3.10 takes neither "Z" nor milliseconds alone.
    expect(ours.paired_at).toBe('2026-11-27T15:27:26+00:00');
    // FindMy.py's to_json writes its default alignment as (paired_at, 0).
    const theirs = { ...ours, alignment_date: ours.paired_at, alignment_index: 0 };
    writeFileSync(file('ours.json'), JSON.stringify(ours));
    writeFileSync(file('theirs.json'), JSON.stringify(theirs));
    for (const at of ['2026-11-27T15:27:30Z', '2026-11-27T15:45:00Z', '2026-11-29T09:00:00Z']) {
      const shown = await Promise.all(
        [file('ours.json'), file('theirs.json')].map(
          async (path) => JSON.parse((await cli('keys', 'show', '--keys', path, '--at', at)).stdout)[0],
        ),
      );
      expect(shown[1].hashedId, at).toBe(shown[0].hashedId);
    }
    // The first 15 minutes after pairing broadcast primary key 1, as real accessories do.
    const first = JSON.parse(
      (await cli('keys', 'show', '--keys', file('theirs.json'), '--at', '2026-11-27T15:27:30Z')).stdout,
    )[0];
    expect(first.index).toBe(1);
    // An alignment FindMy.py observed from a report is kept as it is.
    const observed = { ...ours, alignment_date: '2026-11-28T00:00:00+00:00', alignment_index: 500 };
    writeFileSync(file('observed.json'), JSON.stringify(observed));
    const aligned = JSON.parse(
      (await cli('keys', 'show', '--keys', file('observed.json'), '--at', '2026-11-28T00:20:00Z')).stdout,
    )[0];
    expect(aligned.index).toBe(501);
  });
});

function k1Hex(): string {
  return vectors.keys[0]!.private_key_hex;
}

describe('the owner’s guard against replays a server stored', () => {
  it('keeps, of the copies that share an ephemeral key, the one received first', () => {
    const owner = keyPairOf(hexToBytes(k1Hex()));
    const real = Buffer.from(
      sealReport(owner.advertisementKey, {
        timestamp: new Date('2026-11-30T10:00:00Z'),
        confidence: 2,
        latitude: 1,
        longitude: 2,
        accuracy: 3,
        status: 0,
      }),
    );
    const forged = Buffer.from(real);
    forged.writeUInt32BE(real.readUInt32BE(0) - 86_400);
    const other = Buffer.from(
      sealReport(owner.advertisementKey, {
        timestamp: new Date('2026-11-30T11:00:00Z'),
        confidence: 2,
        latitude: 1,
        longitude: 2,
        accuracy: 3,
        status: 0,
      }),
    );
    const id = bytesToBase64(owner.hashedId);
    const kept = firstReceivedOfEachSeal([
      { id, payload: forged.toString('base64'), receivedAt: 2_000 },
      { id, payload: real.toString('base64'), receivedAt: 1_000 },
      { id, payload: other.toString('base64'), receivedAt: 3_000 },
      { id, payload: 'AAAA', receivedAt: 0 },
    ]);
    expect(kept.map((r) => Buffer.from(r.payload).toString('hex')).sort()).toEqual(
      [real.toString('hex'), other.toString('hex')].sort(),
    );
  });
});
