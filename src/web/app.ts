/**
 * The owner's page: key files opened here stay here; the page derives the keys for the chosen
 * window and opens reports in workers (worker-pool.ts), asks the server only for hashed ids,
 * and shows each device's positions on a map with a time slider, a device list and exports.
 */
import { formatReports } from '../sdk/formats.ts';
import { readKeyFile } from '../sdk/key-files.ts';
import { fetchReportsById, newestFirst, type LocatedReport } from '../sdk/owner.ts';
import { watch } from '../sdk/watch.ts';
import { forgetKeys, hasSavedKeys, loadKeys, saveKeys } from './key-vault.ts';
import {
  createLink,
  endLink,
  linkAddress,
  linkInFragment,
  savedLinks,
  updateLink,
  viewLink,
  type ShareLink,
} from './sharing.ts';
import { colourOf, MapView } from './map-view.ts';
import { phoneItem, readPairingFiles } from './phones.ts';
import type { KeyFileInput, OpenGroup } from './worker-messages.ts';
import { WorkerPool } from './worker-pool.ts';

/** Tiles when the server names none (and when the page is on a static host without app/config.json). */
const DEFAULT_TILE_URL = 'https://tile.openstreetmap.org/{z}/{x}/{y}.png';
const HOUR_MS = 3_600_000;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const ui = {
  server: $<HTMLInputElement>('server'),
  workers: $<HTMLInputElement>('workers'),
  files: $<HTMLInputElement>('key-files'),
  text: $<HTMLTextAreaElement>('key-text'),
  remember: $<HTMLInputElement>('remember'),
  passphrase: $<HTMLInputElement>('passphrase'),
  unlock: $<HTMLButtonElement>('unlock'),
  forget: $<HTMLButtonElement>('forget'),
  window: $<HTMLSelectElement>('window'),
  locate: $<HTMLButtonElement>('locate'),
  progress: $<HTMLProgressElement>('progress'),
  status: $<HTMLParagraphElement>('status'),
  devicesSection: $<HTMLElement>('devices-section'),
  devices: $<HTMLUListElement>('devices'),
  exportGeojson: $<HTMLButtonElement>('export-geojson'),
  exportGpx: $<HTMLButtonElement>('export-gpx'),
  timeline: $<HTMLElement>('timeline'),
  slider: $<HTMLInputElement>('slider'),
  sliderTime: $<HTMLOutputElement>('slider-time'),
  viewer: $<HTMLElement>('viewer'),
  viewerTitle: $<HTMLElement>('viewer-title'),
  viewerStatus: $<HTMLParagraphElement>('viewer-status'),
  linksSection: $<HTMLElement>('links-section'),
  links: $<HTMLUListElement>('links'),
  live: $<HTMLInputElement>('live'),
  pairingFiles: $<HTMLInputElement>('pairing-files'),
  phones: $<HTMLUListElement>('phones'),
};

const params = new URLSearchParams(location.search);
ui.server.value = localStorage.getItem('crowdfind.server') ?? '';
ui.workers.value = params.get('workers') ?? String(Math.min(navigator.hardwareConcurrency || 2, 16));
ui.server.addEventListener('change', () => localStorage.setItem('crowdfind.server', ui.server.value.trim()));
ui.unlock.hidden = ui.forget.hidden = !hasSavedKeys();

const config: { tileUrl?: string } = await fetch(new URL('app/config.json', document.baseURI))
  .then((r) => (r.ok ? r.json() : {}))
  .catch(() => ({}));
const map = new MapView($('map'), config.tileUrl ?? DEFAULT_TILE_URL);

let unlocked: KeyFileInput[] = [];
/** The key files of the last locate: what lost mode and the live watch act on. */
let lastFiles: KeyFileInput[] = [];
let liveWatch: AbortController | undefined;
/** Devices of the key files located last (a paired phone's answers add devices that are not). */
let keyDevices = new Set<string>();
let pool: WorkerPool | undefined;
let shown: { located: LocatedReport[]; devices: string[] } = { located: [], devices: [] };

function say(text: string, error = false): void {
  ui.status.textContent = text;
  ui.status.classList.toggle('error', error);
}

function serverBase(): string {
  return ui.server.value.trim() || location.origin;
}

/** Every key file the owner gave: opened, pasted, or unlocked from this browser. */
async function keyFiles(): Promise<KeyFileInput[]> {
  const files: KeyFileInput[] = await Promise.all(
    [...(ui.files.files ?? [])].map(async (file) => ({
      name: file.name.replace(/\.[^.]+$/, ''),
      bytes: new Uint8Array(await file.arrayBuffer()),
    })),
  );
  if (ui.text.value.trim()) files.push({ name: 'pasted', bytes: new TextEncoder().encode(ui.text.value.trim()) });
  return files.length > 0 ? files : unlocked;
}

async function locateAll(): Promise<void> {
  const files = await keyFiles();
  if (files.length === 0) return say('Open a key file first (or paste one).', true);
  if (ui.remember.checked) await saveKeys(files, ui.passphrase.value);
  const workers = Math.max(1, Math.min(64, Number(ui.workers.value) || 1));
  if (!pool || pool.size !== workers) {
    pool?.close();
    pool = await WorkerPool.start(workers);
  }
  const started = performance.now();
  const until = new Date();
  const since = new Date(until.getTime() - Number(ui.window.value) * HOUR_MS);
  ui.progress.hidden = false;
  ui.progress.value = 0;
  say('Deriving the keys your devices used…');
  const { devices, keys } = await pool.derive(files, since, until);
  lastFiles = files;
  keyDevices = new Set(devices);
  const owned = new Map(keys.map((k) => [k.key.hashedIdBase64, k]));
  say(`Fetching reports for ${keys.length} keys of ${devices.length} device(s)…`);
  const payloadsById = await fetchReportsById([...owned.keys()], {
    server: serverBase(),
    since,
    until,
    onProgress: (done, total) => (ui.progress.value = (0.3 * done) / total),
  });
  const groups: OpenGroup[] = [...payloadsById].map(([id, payloads]) => ({ ...owned.get(id)!, payloads }));
  const count = groups.reduce((n, g) => n + g.payloads.length, 0);
  say(`Decrypting ${count} reports on ${pool.size} worker(s)…`);
  const opening = performance.now();
  const { located } = await pool.open(groups, (done, total) => (ui.progress.value = 0.3 + (0.7 * done) / total));
  const openMs = performance.now() - opening;
  shown = { located: newestFirst(located), devices };
  ui.progress.hidden = true;
  Object.assign(ui.status.dataset, {
    reports: String(located.length),
    keys: String(keys.length),
    openMs: openMs.toFixed(1),
    totalMs: (performance.now() - started).toFixed(1),
    workers: String(pool.size),
  });
  say(
    `${located.length} reports from ${keys.length} keys, decrypted here in ${openMs.toFixed(0)} ms on ${pool.size} worker(s).`,
  );
  render(true);
  await refreshLinks();
  document.body.dataset.state = 'located';
}

/** Re-seals this browser's links for the devices just located, and lists them. */
async function refreshLinks(): Promise<void> {
  const failures: string[] = [];
  for (const link of savedLinks())
    if (shown.devices.includes(link.device))
      await updateLink(serverBase(), link, shown.located).catch((error: Error) =>
        failures.push(`${link.device}: ${error.message}`),
      );
  listLinks();
  if (failures.length > 0) say(`Could not update share links (${failures.join('; ')}).`, true);
}

function listLinks(): void {
  const links = savedLinks();
  ui.linksSection.hidden = links.length === 0;
  ui.links.replaceChildren(
    ...links.map((link) => {
      const item = document.createElement('li');
      const title = document.createElement('div');
      title.className = 'name';
      title.textContent = `${link.device}, until ${new Date(link.expiresAt).toISOString().slice(0, 16)}Z`;
      const address = document.createElement('input');
      address.className = 'share-link';
      address.readOnly = true;
      address.value = linkAddress(link);
      const copy = button('Copy', () => navigator.clipboard.writeText(address.value));
      const found = button('Found it', () => endAndList(link, 'found'));
      found.className = 'share-found';
      const revoke = button('Revoke', () => endAndList(link, 'revoke'));
      revoke.className = 'share-revoke';
      item.append(title, address, copy, found, revoke);
      return item;
    }),
  );
}

/** Lost mode for one device: a notice for finders on every key of the next 7 days, or its end. */
function lostModeControls(device: string): HTMLElement {
  const details = document.createElement('details');
  details.className = 'lost';
  const summary = document.createElement('summary');
  summary.textContent = 'Lost mode';
  const message = document.createElement('input');
  message.className = 'lost-message';
  message.placeholder = 'Message for whoever finds it (shown as plain text)';
  message.maxLength = 200;
  const contact = document.createElement('input');
  contact.className = 'lost-contact';
  contact.placeholder = 'Phone number or e-mail address';
  // Unchecked, finders see the contact partly hidden (+** ** **** 0018, b***@i***.com), as DULT asks.
  const fullContact = document.createElement('input');
  fullContact.type = 'checkbox';
  fullContact.className = 'lost-full-contact';
  const fullContactLabel = document.createElement('label');
  fullContactLabel.append(fullContact, ' Show finders my whole contact (otherwise partly hidden)');
  const on = button('Mark lost for 7 days', async () => {
    const result = await pool!.lostMode(lastFiles, {
      device,
      server: serverBase(),
      notice: { message: message.value, contact: contact.value, fullContact: fullContact.checked, days: 7 },
    });
    say(
      `${device} is marked lost: a notice for finders on ${result.changed} of its ${result.keys} keys.${result.notTaken ? ` ${result.notTaken}` : ''}`,
      result.notTaken !== '',
    );
    ui.live.checked = true;
    await startLiveWatch();
  });
  on.className = 'lost-on';
  const off = button('Found: end lost mode', async () => {
    const result = await pool!.lostMode(lastFiles, { device, server: serverBase() });
    say(`Lost mode for ${device} ended: ${result.changed} notices withdrawn.`);
  });
  off.className = 'lost-off';
  details.append(summary, message, contact, fullContactLabel, on, off);
  return details;
}

/** Subscribes to the keys of every located device; new reports join the map, with a notification. */
async function startLiveWatch(): Promise<void> {
  if (liveWatch || lastFiles.length === 0) return;
  if ('Notification' in window && Notification.permission === 'default') await Notification.requestPermission();
  const devices = lastFiles.flatMap((file) => readKeyFile(file.bytes, file.name));
  liveWatch = new AbortController();
  const stop = liveWatch;
  void watch(devices, {
    server: serverBase(),
    signal: stop.signal,
    onStatus: (line) => (ui.live.title = line),
    // Marked once the server will pass on every new report (tests wait for it).
    onListening: () => (document.body.dataset.watching = 'true'),
    onReports: (reports) => {
      shown = { ...shown, located: newestFirst([...shown.located, ...reports]) };
      render();
      const newest = reports.at(-1)!;
      document.body.dataset.live = String(Number(document.body.dataset.live ?? 0) + reports.length);
      say(`New: ${newest.device} seen ${newest.timestamp.toISOString().slice(11, 16)} UTC.`);
      if ('Notification' in window && Notification.permission === 'granted')
        new Notification('Crowdfind', { body: `${newest.device} was just seen (${ago(newest.timestamp)}).` });
    },
  }).catch((error: Error) => {
    say(`The live watch stopped: ${error.message}`, true);
    ui.live.checked = false;
    liveWatch = undefined;
  });
}

function stopLiveWatch(): void {
  liveWatch?.abort();
  liveWatch = undefined;
  delete document.body.dataset.watching;
}

async function endAndList(link: ShareLink, how: 'revoke' | 'found'): Promise<void> {
  await endLink(serverBase(), link, how);
  listLinks();
  say(
    how === 'found' ? `The link for ${link.device} now says it is found.` : `The link for ${link.device} is revoked.`,
  );
}

function button(label: string, action: () => Promise<unknown> | void): HTMLButtonElement {
  const element = document.createElement('button');
  element.type = 'button';
  element.textContent = label;
  element.addEventListener('click', () => void attempt(async () => void (await action())));
  return element;
}

/** Map, slider and list for the reports on show, up to the slider's time. */
function render(reset = false): void {
  const { located, devices } = shown;
  const times = located.map((r) => r.timestamp.getTime());
  const [first, last] = [Math.min(...times), Math.max(...times)];
  if (reset) {
    ui.slider.value = ui.slider.max;
    map.refit();
  }
  const until = located.length === 0 ? Date.now() : first + ((last - first) * Number(ui.slider.value)) / 1000;
  ui.timeline.hidden = located.length === 0;
  ui.sliderTime.textContent = located.length === 0 ? '' : `up to ${new Date(until).toISOString().slice(0, 16)}Z`;
  map.show(located, devices, until);
  ui.devicesSection.hidden = false;
  ui.devices.replaceChildren(
    ...devices.map((device, d) => {
      const mine = located.filter((r) => r.device === device && r.timestamp.getTime() <= until);
      const item = document.createElement('li');
      item.style.setProperty('--colour', colourOf(d));
      item.dataset.device = device;
      const name = document.createElement('div');
      name.className = 'name';
      name.textContent = device;
      const detail = document.createElement('div');
      detail.className = 'detail';
      const newest = mine[0];
      if (newest) {
        item.dataset.lat = String(newest.latitude);
        item.dataset.lon = String(newest.longitude);
        item.dataset.reports = String(mine.length);
        const battery = ['full', 'medium', 'low', 'critically low'][newest.status >> 6];
        detail.textContent =
          `last seen ${newest.timestamp.toISOString().replace('T', ' ').slice(0, 16)} UTC (${ago(newest.timestamp)}), ` +
          `${newest.latitude.toFixed(5)}, ${newest.longitude.toFixed(5)} ±${newest.accuracy} m; ` +
          `${mine.length} reports${mine.some((r) => r.selfReport) ? `, ${mine.filter((r) => r.selfReport).length} from the device itself` : ''}` +
          // A paired phone's answer has no status byte; a report always does.
          (typeof newest.status === 'number'
            ? `; status ${newest.status} (battery ${battery}, if the accessory follows the specification)`
            : '');
      } else {
        detail.textContent = 'no reports in this window';
      }
      item.append(name, detail);
      // Lost mode and share links work on the keys of a key file: not for a phone known only by its pairing.
      if (!keyDevices.has(device)) return item;
      item.append(lostModeControls(device));
      if (newest) {
        const share = button('Share location for 7 days', async () => {
          const link = await createLink(serverBase(), device, located, 7);
          listLinks();
          say(
            `Share link for ${device} made: whoever has it sees its positions until ${new Date(link.expiresAt).toISOString().slice(0, 16)}Z.`,
          );
        });
        share.className = 'share';
        item.append(share);
      }
      return item;
    }),
  );
}

function ago(time: Date): string {
  const minutes = Math.round((Date.now() - time.getTime()) / 60_000);
  if (minutes < 60) return `${minutes} min ago`;
  return minutes < 48 * 60 ? `${Math.round(minutes / 60)} h ago` : `${Math.round(minutes / 1440)} days ago`;
}

function download(name: string, text: string, type: string): void {
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob([text], { type }));
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

async function attempt(work: () => Promise<void>): Promise<void> {
  ui.locate.disabled = true;
  try {
    await work();
  } catch (error) {
    ui.progress.hidden = true;
    say((error as Error).message, true);
  } finally {
    ui.locate.disabled = false;
  }
}

ui.locate.addEventListener('click', () => void attempt(locateAll));
ui.slider.addEventListener('input', () => render());
ui.live.addEventListener('change', () =>
  ui.live.checked
    ? void attempt(async () => {
        if (lastFiles.length === 0) throw new Error('Locate first: the watch follows the devices on the map.');
        await startLiveWatch();
      })
    : stopLiveWatch(),
);
ui.exportGeojson.addEventListener('click', () =>
  download('crowdfind.geojson', formatReports(shown.located, 'geojson'), 'application/geo+json'),
);
ui.exportGpx.addEventListener('click', () =>
  download('crowdfind.gpx', formatReports(shown.located, 'gpx'), 'application/gpx+xml'),
);
ui.unlock.addEventListener(
  'click',
  () =>
    void attempt(async () => {
      unlocked = await loadKeys(ui.passphrase.value);
      say(`Unlocked ${unlocked.length} saved key file(s).`);
    }),
);
ui.forget.addEventListener('click', () => {
  forgetKeys();
  unlocked = [];
  ui.unlock.hidden = ui.forget.hidden = true;
  say('The saved keys are gone from this browser.');
});
addEventListener('resize', () => map.invalidateSize());
ui.pairingFiles.addEventListener(
  'change',
  () =>
    void attempt(async () => {
      const pairings = await readPairingFiles(ui.pairingFiles.files!);
      ui.phones.replaceChildren(
        ...pairings.map((pairing) =>
          phoneItem(pairing, {
            server: serverBase,
            say,
            located: (phone, latitude, longitude, accuracy, at) => {
              const report = {
                device: phone,
                timestamp: at,
                latitude,
                longitude,
                accuracy,
                selfReport: true,
              } as LocatedReport;
              const devices = shown.devices.includes(phone) ? shown.devices : [...shown.devices, phone];
              shown = { devices, located: newestFirst([...shown.located, report]) };
              render();
            },
          }),
        ),
      );
    }),
);

/** A viewer's page: the link's positions, refreshed every minute, and nothing of the owner's tools. */
async function showSharedLink(link: { share: string; key: Uint8Array }): Promise<void> {
  document.body.dataset.view = 'shared'; // style.css hides all but the viewer by this, not by a list
  ui.viewer.hidden = false;
  const view = await viewLink(serverBase(), link);
  if (view.state === 'ended') {
    ui.viewerStatus.textContent = view.reason;
    map.show([], [], Date.now());
    document.body.dataset.state = 'ended';
    return;
  }
  const { device, reports } = view.locations;
  const located = reports.map(
    (r) =>
      ({
        device,
        timestamp: new Date(r.timestamp),
        latitude: r.latitude,
        longitude: r.longitude,
        accuracy: r.accuracy,
        selfReport: false,
      }) as LocatedReport,
  );
  map.show(located, [device], Infinity);
  ui.viewerTitle.textContent = `Where ${device} is`;
  const newest = located.at(-1);
  if (newest) {
    ui.viewerStatus.dataset.lat = String(newest.latitude);
    ui.viewerStatus.dataset.lon = String(newest.longitude);
  }
  ui.viewerStatus.textContent = newest
    ? `Last seen ${newest.timestamp.toISOString().replace('T', ' ').slice(0, 16)} UTC (${ago(newest.timestamp)}) at ${newest.latitude.toFixed(5)}, ${newest.longitude.toFixed(5)} ±${newest.accuracy} m. The link ends ${new Date(view.expiresAt).toISOString().slice(0, 16)}Z.`
    : 'No positions yet.';
  document.body.dataset.state = 'viewing';
}

const sharedLink = linkInFragment();
if (sharedLink) {
  document.body.dataset.mode = 'viewer';
  const refresh = () =>
    showSharedLink(sharedLink).catch((error: Error) => (ui.viewerStatus.textContent = error.message));
  await refresh();
  setInterval(refresh, 60_000);
} else {
  listLinks();
  document.body.dataset.state = 'ready';
}
