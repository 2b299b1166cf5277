// The owner's page in a real browser (Debian's Chromium, driven by playwright-core), against a
// real Node server filled by `crowdfind simulate`: the positions the page shows are the truth
// file's, no request carries a key or a location, and the page's policy stops outside scripts.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page, type Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  base64UrlToBytes,
  bytesToBase64,
  bytesToBase64Url,
  NOTICE_LENGTH,
  sealShare,
  type SharedLocations,
} from '../../crypto/index.ts';
import { runCli } from '../../src/cli/main.ts';
import { cliAt, phoneClock } from '../e2e/channel-scenario.ts';
import { MAX_LIVE_NOTICES_PER_ID } from '../../src/contract/limits.ts';
import { DEFAULT_CONFIG } from '../../src/rules/config.ts';
import { startNodeServer, type RunningServer } from '../../src/runtime/node/server.ts';

/** Debian's Chromium; without it these tests are skipped, and say so in one line. */
export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => existsSync(path));
if (!CHROMIUM) console.log('browser tests skipped: no Chromium (apt-get install chromium; .ci/run installs it)');

/** Where screenshots go, kept after the run for people to look at. */
const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts');
const folder = mkdtempSync(join(tmpdir(), 'crowdfind-web-'));
const file = (name: string) => join(folder, name);
let server: RunningServer;
let browser: Browser;

async function cli(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  if (code !== 0) throw new Error(`crowdfind ${argv.join(' ')}: ${stderr}`);
  return stdout;
}

type TruthRecord = { timestamp: string; latitude: number; longitude: number; device: string; accuracy: number };

beforeAll(async () => {
  if (!CHROMIUM) return;
  server = await startNodeServer({
    port: 0,
    host: '127.0.0.1',
    databasePath: file('reports.db'),
    // No tiles: the test machine has no way out, and positions must draw without them.
    config: { ...DEFAULT_CONFIG, webTileUrl: '', queriesPerMinute: 0 },
    log: () => {},
  });
  await cli('keys', 'new', '--rolling', '--paired', '3d', '--name', 'Backpack', '--out', file('backpack.json'));
  await cli('keys', 'new', '--name', 'Wallet', '--out', file('wallet.json'));
  for (const name of ['backpack', 'wallet'])
    await cli(
      'simulate',
      '--keys',
      file(`${name}.json`),
      '--server',
      server.url,
      '--hours',
      '48',
      '--finders',
      '2',
      '--truth',
      file(`${name}-truth.json`),
    );
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  mkdirSync(ARTIFACTS, { recursive: true });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
  rmSync(folder, { recursive: true, force: true });
});

const truthOf = (name: string) => JSON.parse(readFileSync(file(`${name}-truth.json`), 'utf8')) as TruthRecord[];
const key = (r: { timestamp: string; latitude: number; longitude: number }) =>
  `${r.timestamp} ${r.latitude} ${r.longitude}`;

describe.skipIf(!CHROMIUM)('the owner’s page in Chromium', () => {
  it('shows exactly the simulated positions, keeps keys and locations out of every request, and exports them', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
    const page = await context.newPage();
    const requests: Request[] = [];
    page.on('request', (request) => requests.push(request));
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    // Nothing the page asks for is missing (a browser asks for /favicon.ico unless told of none).
    page.on('response', (response) => {
      if (response.status() >= 400) problems.push(`${response.status()} ${response.url()}`);
    });
    await page.goto(server.url);
    await page.locator('body[data-state="ready"]').waitFor();
    await page.setInputFiles('#key-files', [file('backpack.json'), file('wallet.json')]);
    await page.selectOption('#window', '72');
    await page.click('#locate');
    await page.locator('body[data-state="located"]').waitFor({ timeout: 60_000 });
    expect(problems).toEqual([]);
    expect(await page.locator('link[rel="icon"]').getAttribute('href')).toBe('data:,');

    const truth = [...truthOf('backpack'), ...truthOf('wallet')];
    const status = page.locator('#status');
    expect(Number(await status.getAttribute('data-reports'))).toBe(truth.length);
    // Every position is a dot on the map; each device's newest is listed with its coordinates.
    expect(await page.locator('path.cf-point').count()).toBe(truth.length);
    for (const [name, device] of [
      ['backpack', 'Backpack'],
      ['wallet', 'Wallet'],
    ] as const) {
      const newest = truthOf(name).at(-1)!;
      const item = page.locator(`#devices li[data-device="${device}"]`);
      expect([Number(await item.getAttribute('data-lat')), Number(await item.getAttribute('data-lon'))]).toEqual([
        newest.latitude,
        newest.longitude,
      ]);
      expect(Number(await item.getAttribute('data-reports'))).toBe(truthOf(name).length);
    }
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-geojson')]);
    const exported = JSON.parse(readFileSync(await download.path(), 'utf8')) as {
      features: Array<{ geometry: { coordinates: [number, number] }; properties: { timestamp: string } }>;
    };
    const shown = exported.features.map((f) =>
      key({
        timestamp: f.properties.timestamp,
        latitude: f.geometry.coordinates[1],
        longitude: f.geometry.coordinates[0],
      }),
    );
    expect(shown.sort()).toEqual(truth.map(key).sort());

    // What left the page: only the page's own files and hashed ids. No private key, master
    // key or secret of either key file, and no coordinate, appears in any URL or body.
    const secrets = ['backpack', 'wallet'].flatMap((name) =>
      [...readFileSync(file(`${name}.json`), 'utf8').matchAll(/"([A-Za-z0-9+/]{30,}={0,2})"/g)].map((m) => m[1]!),
    );
    expect(secrets.length).toBeGreaterThanOrEqual(4);
    const coordinates = truth.slice(0, 50).flatMap((r) => [String(r.latitude), String(r.longitude)]);
    for (const request of requests) {
      const sent = `${request.url()} ${request.postData() ?? ''}`;
      for (const secret of [...secrets, ...coordinates])
        expect(sent.includes(secret), `${request.url()} carried ${secret}`).toBe(false);
      expect(new URL(request.url()).origin === new URL(server.url).origin || request.url().startsWith('blob:')).toBe(
        true,
      );
    }
    expect(requests.filter((r) => r.url().endsWith('/v1/reports/query')).length).toBeGreaterThan(0);

    await page.screenshot({ path: join(ARTIFACTS, 'web-desktop.png') });
    await page.setViewportSize({ width: 390, height: 844 });
    // Two frames later the page has laid itself out at the new width.
    await page.evaluate('new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))');
    await page.screenshot({ path: join(ARTIFACTS, 'web-phone.png') });
    await context.close();
  }, 120_000);

  it('shares one item’s positions by a link whose key the server never sees, and revokes it', async () => {
    const owner = await browser.newContext();
    const page = await owner.newPage();
    await page.goto(server.url);
    await page.locator('body[data-state="ready"]').waitFor();
    await page.setInputFiles('#key-files', [file('backpack.json')]);
    await page.selectOption('#window', '72');
    await page.click('#locate');
    await page.locator('body[data-state="located"]').waitFor({ timeout: 60_000 });
    await page.click('#devices li[data-device="Backpack"] button.share');
    const link = await page.locator('#links .share-link').first().inputValue();
    expect(link).toMatch(/#share=[\w-]{22}\.[\w-]{43}$/);
    const keyPart = link.split('.').at(-1)!;

    const viewer = await browser.newContext();
    const view = await viewer.newPage();
    const sent: string[] = [];
    view.on('request', (request) => sent.push(`${request.url()} ${request.postData() ?? ''}`));
    await view.goto(link);
    await view.locator('body[data-state="viewing"]').waitFor({ timeout: 30_000 });
    const newest = truthOf('backpack').at(-1)!;
    const status = view.locator('#viewer-status');
    expect([Number(await status.getAttribute('data-lat')), Number(await status.getAttribute('data-lon'))]).toEqual([
      newest.latitude,
      newest.longitude,
    ]);
    expect(await view.locator('path.cf-point').count()).toBe(truthOf('backpack').length);
    // Nothing of the owner's tools: of the side column's sections only the viewer's shows.
    const sections = view.locator('aside > section');
    const shown: string[] = [];
    for (let i = 0; i < (await sections.count()); i++)
      if (await sections.nth(i).isVisible()) shown.push((await sections.nth(i).getAttribute('id'))!);
    expect(shown).toEqual(['viewer']);
    expect(await view.locator('#settings').isVisible()).toBe(false);
    expect(await view.getByText('Paired phones').isVisible()).toBe(false);
    // The fragment stays in the browser: no request carries the link's key.
    for (const request of sent) expect(request.includes(keyPart), request).toBe(false);
    await view.screenshot({ path: join(ARTIFACTS, 'web-shared-link.png') });

    await page.click('#links .share-revoke');
    await page.locator('#links li').first().waitFor({ state: 'detached' });
    expect(await page.locator('#links li').count()).toBe(0);
    await view.reload();
    await view.locator('body[data-state="ended"]').waitFor();
    expect(await status.textContent()).toContain('no longer shared');
    await owner.close();
    await viewer.close();
  }, 90_000);

  it('marks an item lost from the page, shows a finder’s report live, and ends lost mode', async () => {
    const context = await browser.newContext({ permissions: ['notifications'] });
    const page = await context.newPage();
    await page.goto(server.url);
    await page.locator('body[data-state="ready"]').waitFor();
    await page.setInputFiles('#key-files', [file('backpack.json')]);
    await page.click('#locate');
    await page.locator('body[data-state="located"]').waitFor({ timeout: 60_000 });
    const item = page.locator('#devices li[data-device="Backpack"]');
    await item.locator('details.lost summary').click();
    await item.locator('.lost-message').fill('Black backpack with a laptop. Please call!');
    await item.locator('.lost-contact').fill('+44 20 7946 0018');
    await item.locator('.lost-on').click();
    await expect
      .poll(() => page.locator('#status').textContent(), { timeout: 30_000 })
      .toMatch(/Backpack is marked lost/);
    // The page's event stream is open: the server passes on every report uploaded from here.
    await page.locator('body[data-watching="true"]').waitFor();

    // A finder passes by: its report shows the owner's notice, and the page hears of the report.
    const [shown] = JSON.parse(await cli('keys', 'show', '--keys', file('backpack.json'))) as Array<{
      advertisementKey: string;
    }>;
    const found = JSON.parse(
      await cli(
        'report',
        '--key',
        shown!.advertisementKey,
        '--lat',
        '51.5033',
        '--lon',
        '-0.1196',
        '--server',
        server.url,
      ),
    ) as { notice: { status: string; message: string } };
    // The page left "show my whole contact" unchecked: the finder gets it partly hidden.
    expect(found.notice).toMatchObject({
      status: 'valid',
      message: 'Black backpack with a laptop. Please call!',
      contact: { kind: 'phone', value: '+** ** **** 0018' },
    });
    await page.locator('body[data-live="1"]').waitFor();
    expect(await item.getAttribute('data-lat')).toBe('51.5033');

    await page.locator('#devices li[data-device="Backpack"] details.lost summary').click();
    await page.locator('#devices li[data-device="Backpack"] .lost-off').click();
    await expect
      .poll(() => page.locator('#status').textContent(), { timeout: 30_000 })
      .toMatch(/Lost mode for Backpack ended: \d+ notices withdrawn/);
    expect(JSON.parse(await cli('lost', 'status', '--keys', file('backpack.json'), '--server', server.url))).toEqual({
      lost: false,
      liveNotices: 0,
    });
    await page.screenshot({ path: join(ARTIFACTS, 'web-lost-mode.png') });
    await context.close();
  }, 90_000);

  it('tells the owner when strangers filled a key’s notices before the page could publish', async () => {
    const [wallet] = JSON.parse(await cli('keys', 'show', '--keys', file('wallet.json'))) as Array<{
      hashedId: string;
    }>;
    for (let i = 0; i < MAX_LIVE_NOTICES_PER_ID; i++) {
      const squat = await fetch(`${server.url}/v1/notices`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          notices: [
            {
              id: wallet!.hashedId,
              notice: randomBytes(NOTICE_LENGTH).toString('base64'),
              expiresAt: (Math.floor(Date.now() / 1000) + 86_400) * 1000,
              withdrawHash: randomBytes(32).toString('base64'),
            },
          ],
        }),
      });
      expect(squat.status).toBe(200);
    }
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(server.url);
    await page.locator('body[data-state="ready"]').waitFor();
    await page.setInputFiles('#key-files', [file('wallet.json')]);
    await page.selectOption('#window', '72');
    await page.click('#locate');
    await page.locator('body[data-state="located"]').waitFor({ timeout: 60_000 });
    const item = page.locator('#devices li[data-device="Wallet"]');
    await item.locator('details.lost summary').click();
    await item.locator('.lost-message').fill('Brown wallet');
    await item.locator('.lost-contact').fill('wallet@example.org');
    await item.locator('.lost-on').click();
    await expect
      .poll(() => page.locator('#status').textContent(), { timeout: 30_000 })
      .toMatch(
        /Wallet is marked lost: a notice for finders on 0 of its 1 keys\. 1 keys have no notice of yours: 1 are full: 4 live notices/,
      );
    expect(await page.locator('#status.error').count()).toBe(1);
    await context.close();
  }, 90_000);

  it('sends a paired phone commands and shows its location and its photo, byte for byte', async () => {
    await cli('pair', '--name', 'Phone', '--owner', file('phone.owner.json'), '--device', file('phone.device.json'));
    mkdirSync(file('camera'), { recursive: true });
    const photo = new Uint8Array(randomBytes(150_000));
    writeFileSync(file('camera/front.jpg'), photo);
    const clock = phoneClock();
    const phone = cliAt(
      clock.now,
      'device',
      'run',
      '--pairing',
      file('phone.device.json'),
      '--server',
      server.url,
      '--lat',
      '47.3769',
      '--lon',
      '8.5417',
      '--camera',
      file('camera'),
      '--count',
      '4',
    );
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(server.url);
    await page.locator('body[data-state="ready"]').waitFor();
    await page.setInputFiles('#pairing-files', [file('phone.owner.json')]);
    const item = page.locator('#phones li[data-phone="Phone"]');
    await item.locator('button.command-locate').click();
    const location = item.locator('.answer-location');
    await location.waitFor({ timeout: 30_000 });
    expect([await location.getAttribute('data-lat'), await location.getAttribute('data-lon')]).toEqual([
      '47.3769',
      '8.5417',
    ]);
    // Photos only in lost mode.
    await item.locator('.phone-text').fill('Lost phone, please call');
    await item.locator('button.command-lost').click();
    await item.locator('.answer-done').waitFor({ timeout: 30_000 });
    // A photo only once lost mode has been on the phone's lock screen a while.
    await item.locator('button.command-photo').click();
    await item.locator('.answer-failed').waitFor({ timeout: 30_000 });
    expect(await item.locator('.answer-failed').textContent()).toMatch(/could not photo: lost mode has been on/);
    clock.moveOn();
    await item.locator('button.command-photo').click();
    const image = item.locator('img.phone-photo');
    await image.waitFor({ timeout: 30_000 });
    // The page decrypted the photo and checked it against the hash the phone sealed with it; that
    // hash is the camera file's.
    const shown = await item.locator('.answer-photo').getAttribute('data-sha256');
    expect(shown).toBe(createHash('sha256').update(photo).digest('hex'));
    await page.screenshot({ path: join(ARTIFACTS, 'web-paired-phone.png') });
    expect((await phone).stdout).toContain('took a photo (150000 bytes)');
    await context.close();
  }, 90_000);

  it('refuses an outside script and an inline one (Content-Security-Policy)', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(server.url);
    await page.locator('body[data-state="ready"]').waitFor();
    // Runs in the page (a string: this file is type-checked without the DOM's types).
    const blocked = await page.evaluate<string[]>(`new Promise((resolve) => {
      const seen = [];
      document.addEventListener('securitypolicyviolation', (event) => {
        seen.push(event.effectiveDirective + ' ' + event.blockedURI);
        if (seen.length === 2) resolve(seen);
      });
      const outside = document.createElement('script');
      outside.src = 'https://scripts.example/steal-keys.js';
      document.head.append(outside);
      const inline = document.createElement('script');
      inline.textContent = 'window.ranInline = true';
      document.head.append(inline);
    })`);
    expect(blocked.sort()).toEqual(['script-src-elem https://scripts.example/steal-keys.js', 'script-src-elem inline']);
    expect(await page.evaluate('window.ranInline')).toBeUndefined();
    await context.close();
  });

  it('puts no markup from a share link or a key file into the page, and refuses a link that is no positions', async () => {
    /** Markup that, if it reached innerHTML, would leave an element with an id starting "injected". */
    const markup = (tag: string) => `<b id="injected-${tag}">bold</b><img id="injected-${tag}-img" src="data:,">`;
    const injected = async (page: Page) => page.locator('[id^="injected"]').count();
    const context = await browser.newContext();

    // A hostile share link: anyone can seal one, on any server.
    const hostileLink = async (locations: unknown) => {
      const key = randomBytes(32);
      const token = randomBytes(32);
      const post = await fetch(`${server.url}/v1/shares`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          ciphertext: bytesToBase64(sealShare(key, new Uint8Array(16), { device: 'x', reports: [], sealedAt: 0 })),
          tokenHash: createHash('sha256').update(token).digest('base64'),
          expiresAt: Date.now() + 3_600_000,
        }),
      });
      const { share } = (await post.json()) as { share: string };
      const sealed = sealShare(key, base64UrlToBytes(share), locations as SharedLocations);
      const put = await fetch(`${server.url}/v1/shares/${share}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ciphertext: bytesToBase64(sealed), token: token.toString('base64') }),
      });
      expect(put.status).toBe(200);
      return `${server.url}/#share=${share}.${bytesToBase64Url(key)}`;
    };
    const at = Date.now() - 3_600_000;
    const view = await context.newPage();
    await view.goto(
      await hostileLink({
        device: markup('share'),
        reports: [{ timestamp: at, latitude: 48.85, longitude: 2.35, accuracy: 10 }],
        sealedAt: at,
      }),
    );
    await view.locator('body[data-state="viewing"]').waitFor({ timeout: 30_000 });
    await view.hover('path.cf-newest');
    const tooltip = view.locator('.leaflet-tooltip');
    await tooltip.waitFor();
    expect(await tooltip.textContent()).toContain(markup('share'));
    expect(await view.locator('#viewer-title').textContent()).toBe(`Where ${markup('share')} is`);
    expect(await injected(view)).toBe(0);

    // Accuracy as markup, where the page expects a number: the link is refused, not drawn.
    const page2 = await context.newPage();
    await page2.goto(
      await hostileLink({
        device: 'Bag',
        reports: [{ timestamp: at, latitude: 48.85, longitude: 2.35, accuracy: markup('accuracy') }],
        sealedAt: at,
      }),
    );
    await expect.poll(() => page2.locator('#viewer-status').textContent()).toMatch(/other than an item’s positions/);
    expect(await page2.locator('path.cf-point').count()).toBe(0);
    expect(await injected(page2)).toBe(0);

    // A key file whose device name is markup, with two reports to put it on the map.
    await cli('keys', 'new', '--name', markup('key'), '--out', file('hostile.json'));
    const [shown] = JSON.parse(await cli('keys', 'show', '--keys', file('hostile.json'))) as Array<{
      advertisementKey: string;
    }>;
    for (const [lat, lon] of [
      ['40.4', '-3.7'],
      ['40.5', '-3.6'],
    ] as const)
      await cli('report', '--key', shown!.advertisementKey, '--lat', lat, '--lon', lon, '--server', server.url);
    const owner = await context.newPage();
    await owner.goto(server.url);
    await owner.locator('body[data-state="ready"]').waitFor();
    await owner.setInputFiles('#key-files', [file('hostile.json')]);
    await owner.click('#locate');
    await owner.locator('body[data-state="located"]').waitFor({ timeout: 60_000 });
    await owner.hover('path.cf-newest');
    await owner.locator('.leaflet-tooltip').waitFor();
    expect(await owner.locator('.leaflet-tooltip').textContent()).toContain(markup('key'));
    await owner.hover('path.cf-point >> nth=0');
    await expect.poll(() => owner.locator('.leaflet-tooltip').textContent()).toMatch(/ ±\d+ m$/);
    expect(await owner.locator('.leaflet-tooltip').textContent()).toContain(markup('key'));
    expect(await injected(owner)).toBe(0);
    await context.close();
  }, 90_000);

  it('keeps keys in the browser only when asked, encrypted under a passphrase', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(server.url);
    await page.locator('body[data-state="ready"]').waitFor();
    await page.setInputFiles('#key-files', [file('wallet.json')]);
    await page.check('#remember');
    await page.fill('#passphrase', 'correct horse battery');
    await page.click('#locate');
    await page.locator('body[data-state="located"]').waitFor({ timeout: 60_000 });
    const stored = await page.evaluate<string>('JSON.stringify(localStorage)');
    const walletKey = /"([A-Za-z0-9+/]{30,}={0,2})"/.exec(readFileSync(file('wallet.json'), 'utf8'))![1]!;
    expect(stored).toContain('crowdfind.keys');
    expect(stored.includes(walletKey)).toBe(false);
    await page.reload();
    await page.locator('body[data-state="ready"]').waitFor();
    await page.fill('#passphrase', 'wrong passphrase');
    await page.click('#unlock');
    await page.locator('#status', { hasText: 'does not open' }).waitFor();
    await page.fill('#passphrase', 'correct horse battery');
    await page.click('#unlock');
    await page.locator('#status', { hasText: 'Unlocked 1' }).waitFor();
    await page.selectOption('#window', '72');
    await page.click('#locate');
    await page.locator('body[data-state="located"]').waitFor({ timeout: 60_000 });
    expect(Number(await page.locator('#status').getAttribute('data-reports'))).toBe(truthOf('wallet').length);
    await context.close();
  }, 60_000);
});
