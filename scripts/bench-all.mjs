// `npm run bench`: every benchmark in dist/bench, one after the other, each printing its table.
import { readdirSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

const dir = 'dist/bench';
if (!existsSync(dir)) {
  console.error('xsmeter bench: run `npm run build` first');
  process.exit(1);
}
let failed = 0;
for (const f of readdirSync(dir).filter((f) => f.endsWith('.js')).sort()) {
  console.log(`\n== ${f.replace(/\.js$/, '')} ==`);
  try {
    execFileSync(process.execPath, [`${dir}/${f}`, ...process.argv.slice(2)], { stdio: 'inherit' });
  } catch {
    failed++;
  }
}
process.exitCode = failed ? 1 : 0;
