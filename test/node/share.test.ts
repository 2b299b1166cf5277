import { describe, expect, it } from 'vitest';
import { AuthenticationError, openShare, sealShare, type SharedLocations } from '../../crypto/index.ts';

describe('share link sealing', () => {
  const key = crypto.getRandomValues(new Uint8Array(32));
  const id = crypto.getRandomValues(new Uint8Array(16));
  const locations: SharedLocations = {
    device: 'Suitcase — blue',
    reports: [{ timestamp: 1_767_225_600_000, latitude: 51.47, longitude: -0.4543, accuracy: 15 }],
    sealedAt: 1_767_225_660_000,
  };

  it('opens with the link’s key and id to what was sealed', () => {
    expect(openShare(key, id, sealShare(key, id, locations))).toEqual(locations);
  });

  it('does not open under another key, under another link’s id, or altered', () => {
    const sealed = sealShare(key, id, locations);
    expect(() => openShare(crypto.getRandomValues(new Uint8Array(32)), id, sealed)).toThrow(AuthenticationError);
    expect(() => openShare(key, crypto.getRandomValues(new Uint8Array(16)), sealed)).toThrow(AuthenticationError);
    const altered = sealed.slice();
    altered[20]! ^= 1;
    expect(() => openShare(key, id, altered)).toThrow(AuthenticationError);
  });

  it('draws a fresh nonce each time: the same positions never seal to the same bytes', () => {
    expect(sealShare(key, id, locations)).not.toEqual(sealShare(key, id, locations));
  });
});
