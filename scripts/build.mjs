// `npm run build`: type-check everything (and modules/ alone, with no Node or DOM
// types, so the engine-neutral core cannot even name them), run the generators in
// scripts/build.d/ (in name order), then bundle the host entry points into dist/.
import { execFileSync } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';
import { build } from 'esbuild';

const tsc = (project) => execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', project], { stdio: 'inherit' });

const steps = existsSync('scripts/build.d') ? readdirSync('scripts/build.d').filter((f) => f.endsWith('.mjs')).sort() : [];
for (const step of steps) await import(new URL(`./build.d/${step}`, import.meta.url));

if (!process.argv.includes('--no-check')) {
  tsc('tsconfig.json');
  tsc('tsconfig.modules.json');
}

const entryPoints = ['hosts/node/cli/main.ts', 'hosts/node/xs/conformance.ts'];
if (existsSync('bench')) for (const f of readdirSync('bench')) if (f.endsWith('.ts')) entryPoints.push(`bench/${f}`);
await build({
  entryPoints,
  outdir: 'dist',
  outbase: '.',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
  banner: { js: "import { createRequire as __xsmCreateRequire } from 'node:module'; const require = __xsmCreateRequire(import.meta.url);" },
});
console.log(`xsmeter: built ${entryPoints.length} entry points into dist/`);
