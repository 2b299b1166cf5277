#!/usr/bin/env node
// The `crowdfind` command: the CLI as `npm run build:cli` bundled it (build/cli/crowdfind.js,
// made by `npm install`), which starts without compiling anything. In a checkout where it is not
// built, the TypeScript through tsx (Node 20 has no type stripping), which takes a second more.
import { existsSync } from 'node:fs';

const built = new URL('../build/cli/crowdfind.js', import.meta.url);
if (existsSync(built)) {
  await import(built.href);
} else {
  (await import('tsx/esm/api')).register();
  await import('../src/cli/bin.ts');
}
