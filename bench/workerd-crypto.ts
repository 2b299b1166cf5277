/**
 * The fast engine inside workerd, for `npm run bench:crypto`: a Worker that seals a set of
 * reports once, then opens them (`/open`) or derives a week of keys (`/week`) `times` times per
 * request. workerd stops its clocks while code runs, so the bench times requests from outside.
 */
import { fastP224, generatePrivateKey, keyPairOf, openReports, RollingAccessory, sealReport } from '../crypto/index.ts';
import p224Module from '../crypto/wasm/p224.wasm';
import { DAY_MS, randomAccessoryKeys, SIGHTING } from './crypto-fixtures.ts';

const REPORTS = 250;
const engine = fastP224(p224Module);

// Random values are refused at global scope in Workers: the fixtures are made by the first request.
function fixtures() {
  const owner = keyPairOf(generatePrivateKey(), engine);
  return {
    owner,
    payloads: Array.from({ length: REPORTS }, () => sealReport(owner.advertisementKey, SIGHTING, { engine })),
    accessory: new RollingAccessory(randomAccessoryKeys(new Date(Date.now() - 30 * DAY_MS))),
  };
}
let made: ReturnType<typeof fixtures> | undefined;

export default {
  fetch(request: Request): Response {
    const url = new URL(request.url);
    const times = Number(url.searchParams.get('times') ?? 0);
    const { owner, payloads, accessory } = (made ??= fixtures());
    let done = 0;
    for (let i = 0; i < times; i++) {
      if (url.pathname === '/open')
        done += openReports(payloads, owner.privateKey, engine).filter((r) => r !== null).length;
      else done += accessory.candidateKeys(new Date(Date.now() - 7 * DAY_MS), new Date(), engine).length;
    }
    return Response.json({ done });
  },
};
