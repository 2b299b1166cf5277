/**
 * Crowdfind's protocol library: Apple-compatible offline finding over Uint8Array, with no I/O
 * and no runtime-specific imports, so it runs unchanged in Node, browsers and Workers.
 * Names and section numbers follow docs/protocol.md.
 */
export * from './accessory.ts';
export * from './advertisement.ts';
export * from './bytes.ts';
export * from './channel.ts';
export * from './engine.ts';
export * from './errors.ts';
export * from './fast-p224.ts';
export * from './kdf.ts';
export * from './notice.ts';
export * from './keys.ts';
export * from './p224.ts';
export * from './report.ts';
export * from './rolling-keys.ts';
export * from './seal.ts';
export * from './self-report.ts';
export * from './share.ts';
