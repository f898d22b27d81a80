// Builds the XS engine (from @agoric/xsnap's copy of the Moddable sources) and
// the bare-metal harness in hosts/mcu for a Cortex-M3 with arm-none-eabi-gcc
// from PATH. Object files are cached in node_modules/.cache/xsmeter-mcu under a
// hash of their source, the headers and the flags, so a second build only links
// (or does nothing). Usage: node hosts/mcu/build.mjs [--quiet]; as a module,
// buildMcu() returns the ELF's path.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const xs = join(root, 'node_modules/@agoric/xsnap/moddable/xs');
export const cacheDir = join(root, 'node_modules/.cache/xsmeter-mcu');
export const CC = 'arm-none-eabi-gcc';

/** The target: a Cortex-M3 (the class of the reference paper's STM32F107), soft float. */
export const TARGET = ['-mcpu=cortex-m3', '-mthumb', '-mfloat-abi=soft'];

/** XS's features, as xsnap builds them where it matters to results (sloppy mode,
 * -0, metering for computrons); no debugger, no snapshots, no console. */
const XS_DEFINES = [
  '-DINCLUDE_XSPLATFORM', '-DXSPLATFORM="xsmcu-platform.h"',
  '-DmxParse=1', '-DmxRun=1', '-DmxSloppy=1', '-DmxMinusZero=1', '-DmxMetering=1',
  '-DmxBoundsCheck=1', '-DmxNoConsole=1',
];

const CFLAGS = [...TARGET, '-Os', '-g0', '-ffunction-sections', '-fdata-sections', '-fno-common',
  '-Wno-misleading-indentation', '-Wno-implicit-fallthrough', ...XS_DEFINES,
  `-I${here}`, `-I${join(xs, 'includes')}`, `-I${join(xs, 'sources')}`, `-I${join(xs, 'platforms')}`];

const HARNESS = ['startup.c', 'semihost.c', 'clock.c', 'syscalls.c', 'arena.c', 'aes.c', 'flash.c', 'harness.c'];

function sources() {
  const engine = readdirSync(join(xs, 'sources')).filter((f) => f.endsWith('.c')).sort().map((f) => join(xs, 'sources', f));
  return [...engine, ...HARNESS.map((f) => join(here, f))];
}

function headersHash() {
  const hash = createHash('sha256').update(CFLAGS.join(' '));
  for (const dir of [join(xs, 'sources'), join(xs, 'includes'), join(xs, 'platforms'), here]) {
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.h')).sort()) hash.update(f).update(readFileSync(join(dir, f)));
  }
  return hash.digest('hex').slice(0, 16);
}

async function compile(file, headers, log) {
  const key = createHash('sha256').update(headers).update(readFileSync(file)).digest('hex').slice(0, 16);
  const object = join(cacheDir, `${basename(file, '.c')}-${key}.o`);
  if (existsSync(object)) return object;
  log(`  cc ${basename(file)}`);
  const temporary = `${object}.${process.pid}.tmp`;
  await run(CC, [...CFLAGS, '-c', file, '-o', temporary], { maxBuffer: 1 << 24 }).catch((e) => { throw new Error(`xsmcu: ${basename(file)} does not compile:\n${e.stderr}`); });
  renameSync(temporary, object); // atomic: a concurrent build never links half an object
  return object;
}

async function pool(items, width, work) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => { while (next < items.length) { const i = next++; results[i] = await work(items[i]); } };
  await Promise.all(Array.from({ length: width }, worker));
  return results;
}

/** Compiles what changed and links hosts/mcu's ELF; returns its path. */
export async function buildMcu({ quiet = false } = {}) {
  const log = quiet ? () => {} : (m) => console.log(m);
  mkdirSync(cacheDir, { recursive: true });
  const headers = headersHash();
  const objects = await pool(sources(), Math.max(1, Math.min(2, cpus().length)), (f) => compile(f, headers, log));
  const ld = join(here, 'mps2-an385.ld');
  const key = createHash('sha256').update(objects.join('\n')).update(readFileSync(ld)).digest('hex').slice(0, 16);
  const elf = join(cacheDir, `xsmcu-${key}.elf`);
  if (!existsSync(elf)) {
    log('  ld xsmcu.elf');
    const temporary = `${elf}.${process.pid}.tmp`;
    await run(CC, [...TARGET, '-nostartfiles', '-T', ld, '-Wl,--gc-sections', '-o', temporary, ...objects, '-lm', '-lc', '-lgcc'], { maxBuffer: 1 << 24 }).catch((e) => { throw new Error(`xsmcu: link failed:\n${e.stderr}`); });
    renameSync(temporary, elf);
  }
  writeFileSync(join(cacheDir, 'latest'), elf);
  return elf;
}

/** The sizes of the ELF's sections (text = code + constants, data, bss). */
export async function elfSize(elf) {
  const { stdout } = await run('arm-none-eabi-size', ['-A', elf]);
  const sizes = {};
  for (const line of stdout.split('\n')) { const m = /^(\.\S+)\s+(\d+)/.exec(line); if (m) sizes[m[1]] = Number(m[2]); }
  return sizes;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  const elf = await buildMcu({ quiet: process.argv.includes('--quiet') });
  console.log(`xsmcu: ${elf} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  console.log(await elfSize(elf));
}
