/** `crowdfind report`: the finder, sealing one location report and uploading it. */
import { base64ToBytes, bytesToBase64, decodeAdvertisement, hexToBytes, parseAddress } from '../../../crypto/index.ts';
import { sealForUpload, uploadReports } from '../../sdk/finder.ts';
import { noticesFor } from '../../sdk/lost-mode.ts';
import { sdkP224 } from '../../sdk/p224.ts';
import { number, parse, parseTime, required, serverOption, UsageError } from '../args.ts';
import { IncompleteUploadError, type Command } from '../io.ts';
import { noticeJson, noticeLine } from '../notice-text.ts';

export const reportCommand: Command = {
  help: `crowdfind report (--key ADV_KEY_B64 | --advertisement HEX --address MAC) --lat DEG --lon DEG
                 [--accuracy M] [--status N] [--confidence N] [--time ISO] --server URL

Seals one location report to the accessory's key and uploads it. HEX is the advertising data as
received (31-byte AD structure or its 29-byte manufacturer data), MAC the advertiser's
address (AA:BB:CC:DD:EE:FF); the key is rebuilt from both and the advertisement's status
byte goes into the report. Then looks up the owner's lost-mode notice for the key and shows
it if the owner signed it (a forged one is reported as such, never shown).`,

  async run(args, io) {
    const values = parse(args, {
      key: { type: 'string' },
      advertisement: { type: 'string' },
      address: { type: 'string' },
      lat: { type: 'string' },
      lon: { type: 'string' },
      accuracy: { type: 'string' },
      status: { type: 'string' },
      confidence: { type: 'string' },
      time: { type: 'string' },
      server: { type: 'string' },
    });
    const server = serverOption(values);
    let advertisementKey: Uint8Array;
    let status = number(values, 'status', 0);
    if (values.key !== undefined) {
      advertisementKey = base64ToBytes(required(values, 'key'));
    } else if (values.advertisement !== undefined) {
      const decoded = decodeAdvertisement(
        parseAddress(required(values, 'address')),
        hexToBytes(required(values, 'advertisement').replace(/[\s:]/g, '')),
      );
      if (decoded.kind === 'nearby')
        throw new UsageError(
          'a nearby advertisement carries only the first 6 bytes of the key: a report cannot be sealed to it',
        );
      advertisementKey = decoded.advertisementKey;
      if (values.status === undefined) status = decoded.status;
    } else {
      throw new UsageError('give --key, or --advertisement with --address');
    }
    const now = io.now?.() ?? new Date();
    const sealed = sealForUpload(
      advertisementKey,
      {
        timestamp: values.time ? parseTime(values.time as string, now) : now,
        confidence: number(values, 'confidence', 2),
        latitude: number(values, 'lat'),
        longitude: number(values, 'lon'),
        accuracy: Math.min(255, Math.round(number(values, 'accuracy', 10))),
        status,
      },
      await sdkP224(),
    );
    const result = await uploadReports(server, [sealed]);
    const [notice] = await noticesFor(server, [advertisementKey]);
    io.stderr(noticeLine(notice!));
    io.stdout(
      JSON.stringify({ ...result, hashedId: bytesToBase64(sealed.hashedId), notice: noticeJson(notice!) }) + '\n',
    );
    if (result.rejected > 0)
      throw new IncompleteUploadError('the server turned the report away: its id has reached the daily cap');
  },
};
