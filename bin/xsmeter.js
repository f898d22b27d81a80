#!/usr/bin/env node
// The `xsmeter` command: runs the bundled CLI built by `npm run build` (done by `npm ci`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../dist/hosts/node/cli/main.js', import.meta.url));
if (!existsSync(cli)) {
  console.error('xsmeter: the CLI is not built yet; run `npm ci` (or `npm run build`).');
  process.exit(1);
}
await import(cli);
