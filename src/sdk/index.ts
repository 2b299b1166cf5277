/**
 * The Crowdfind SDK for apps: owners load key files, plan and fetch queries and decrypt;
 * finders seal location reports and upload them with retries. The CLI is built on exactly this.
 * Everything here also runs in a browser; the archive's SQLite file (./archive-file.ts) is Node
 * only and imported from there.
 */
export * from './finder.ts';
export * from './formats.ts';
export * from './http.ts';
export * from './key-files.ts';
export * from './owner.ts';
export * from './simulate.ts';
export * from './p224.ts';
export * from './lost-mode.ts';
export * from './server-sent-events.ts';
export * from './watch.ts';
export * from './beacon.ts';
export * from './home-assistant.ts';
export * from './channel.ts';
export * from './pairing.ts';
export * from './device-agent.ts';
export * from './attachments.ts';
export * from './passphrase.ts';
export * from './archive.ts';
export * from './archive-import.ts';
