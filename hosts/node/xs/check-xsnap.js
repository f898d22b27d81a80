// Checks, after `npm ci`, that @agoric/xsnap's install script built the XS worker.
// npm 11 warns that the script is not on an allow list but runs it; if it did not
// run (e.g. --ignore-scripts) or failed, say so clearly instead of failing later.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let dir;
try {
  dir = fileURLToPath(new URL('.', `file://${require.resolve('@agoric/xsnap/package.json')}`));
} catch {
  console.error('xsmeter: @agoric/xsnap is not installed; run `npm ci`.');
  process.exit(1);
}
const bin = `${dir}xsnap-native/xsnap/build/bin/lin/release/xsnap-worker`;
if (!existsSync(bin)) {
  console.error(`xsmeter: the XS engine was not built: ${bin} is missing.
The @agoric/xsnap install script compiles XS from source (needs cc and make).
Run: (cd node_modules/@agoric/xsnap && npm run build:from-env)`);
  process.exit(1);
}
console.log(`xsmeter: XS engine ready (${bin})`);
