/** `crowdfind lost on|off|status`: lost mode for the devices in a key file. */
import { parseContact, parseMessage } from '../../../crypto/index.ts';
import { MAX_NOTICE_DAYS } from '../../contract/limits.ts';
import { liveNoticeWindow, lostStatus, markFound, markLost, notTakenText } from '../../sdk/lost-mode.ts';
import { duration, parse, required, serverOption, UsageError } from '../args.ts';
import { readDevices, type Command } from '../io.ts';
import { WATCH_HELP, WATCH_OPTIONS, watchDevices, watchSettings } from './watch.ts';

const DAY_MS = 86_400_000;

export const lostOnCommand: Command = {
  help: `crowdfind lost on --keys FILE --server URL --message TEXT --contact PHONE|EMAIL [--full-contact]
                 [--for 7d] [--replace] [--watch [watch options]]

Marks the devices in FILE lost: for every key they may broadcast from now for --for (at most
${MAX_NOTICE_DAYS}d), publishes a notice that only someone who receives that key can read, signed so
nobody else can plant one. The message (up to 200 bytes) and contact are shown to finders as
plain text: write nothing you would not show a stranger. Finders see the contact partly hidden
(+** ** **** 0018, b***@i***.com) unless --full-contact. A key that has a notice of yours
already keeps it: when that notice says something else, lost on says so and exits 1; --replace
withdraws the devices' notices first and publishes this one. A key whose notice did not take
(strangers filled it, which anyone who heard the item can do for its current and past keys) is
counted in "notTaken" and explained on stderr; the exit code is 1 when no key took one. "until"
is when the last notice expires, a day after the last key of the period (lost status shows the
same). With --watch, goes on as crowdfind watch does:

${WATCH_HELP}`,

  async run(args, io) {
    const values = parse(args, {
      ...WATCH_OPTIONS,
      message: { type: 'string' },
      contact: { type: 'string' },
      'full-contact': { type: 'boolean' },
      for: { type: 'string' },
      watch: { type: 'boolean' },
      replace: { type: 'boolean' },
    });
    const devices = readDevices(required(values, 'keys'));
    const server = serverOption(values);
    const message = parseMessage(required(values, 'message'));
    const contact = parseContact(required(values, 'contact'));
    const span = duration(values, 'for', '7d');
    if (span > MAX_NOTICE_DAYS * DAY_MS) throw new UsageError(`--for is at most ${MAX_NOTICE_DAYS}d`);
    // The watch's options too, before anything is published.
    const watching = values.watch ? watchSettings(values) : undefined;
    const stray = Object.keys(WATCH_OPTIONS).find((name) => !['keys', 'server'].includes(name) && name in values);
    if (!watching && stray) throw new UsageError(`--${stray} goes with --watch`);
    const now = io.now?.() ?? new Date();
    const replaced = values.replace
      ? (await markFound(devices, { server, ...liveNoticeWindow(now) })).changed
      : undefined;
    const result = await markLost(
      devices,
      { message, contact, fullContact: values['full-contact'] === true },
      { server, from: now, until: new Date(now.getTime() + span), now },
    );
    io.stdout(
      JSON.stringify({
        lost: true,
        keys: result.keys,
        ...(replaced === undefined ? {} : { withdrawn: replaced }),
        published: result.changed,
        alreadyPublished: result.unchanged,
        notTaken: result.notTaken.length,
        until: result.until.toISOString(),
      }) + '\n',
    );
    const notTaken = notTakenText(result);
    if (result.changed + result.unchanged === 0 && notTaken) throw new Error(`no notice took: ${notTaken}`);
    if (notTaken) io.stderr(`crowdfind lost on: ${notTaken}\n`);
    if (result.keptOther > 0)
      throw new Error(
        `${result.keptOther} of ${result.keys} keys already carry a notice that says something else, kept as it was; finders see the old one (--replace withdraws it and publishes yours)`,
      );
    if (watching) await watchDevices(devices, watching, io);
  },
};

export const lostOffCommand: Command = {
  help: `crowdfind lost off --keys FILE --server URL

Ends lost mode: withdraws every live notice of the devices in FILE, with tokens derived from
the keys themselves (nothing else to keep).`,

  async run(args, io) {
    const values = parse(args, { keys: { type: 'string' }, server: { type: 'string' } });
    const devices = readDevices(required(values, 'keys'));
    const server = serverOption(values);
    const result = await markFound(devices, { server, ...liveNoticeWindow(io.now?.() ?? new Date()) });
    io.stdout(JSON.stringify({ lost: false, withdrawn: result.changed }) + '\n');
  },
};

export const lostStatusCommand: Command = {
  help: `crowdfind lost status --keys FILE --server URL

Whether the devices in FILE are marked lost: how many of their keys carry a live notice, until
when (the last one expires), and what it says (the owner can read their own notices).`,

  async run(args, io) {
    const values = parse(args, { keys: { type: 'string' }, server: { type: 'string' } });
    const devices = readDevices(required(values, 'keys'));
    const server = serverOption(values);
    const status = await lostStatus(devices, { server, ...liveNoticeWindow(io.now?.() ?? new Date()) });
    io.stdout(
      JSON.stringify({
        lost: status.live > 0,
        liveNotices: status.live,
        ...(status.until ? { until: status.until.toISOString() } : {}),
        ...(status.notice ? { message: status.notice.message, contact: status.notice.contact } : {}),
      }) + '\n',
    );
  },
};
