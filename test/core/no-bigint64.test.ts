// The board's XS reads a 64-bit DataView or BigInt64Array element as 32 bits: built with
// mxMisalignedSettersCrash (as the Moddable SDK builds XS for the ESP32, and hosts/mcu for the
// Cortex-M3), fxBigInt64Getter/fxBigUint64Getter load it with c_read32 (xsDataView.c), while the
// setters copy 8 bytes. test/mcu shows it on the emulated Cortex-M3. So the firmware - modules/ and
// the board side of hosts/ (esp32, lin and the modules their manifests map in) - must not use them;
// values past 32 bits go as a 32-bit word and its high part (energy-store, booking-journal, can/authenticator).
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(__dirname, "../..");
/** Uses that meet the 32-bit getter: DataView's methods and the 64-bit typed arrays (same getters). */
const USES = /\b(?:get|set)Big(?:Ui|I)nt64\b|\bBig(?:Ui|I)nt64Array\b/g;

/** Each use in a source text, comments blanked (a string still counts: `view["getBigInt64"]` is a use). */
export function bigInt64Uses(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, " ").replace(/(^|[^:\\])\/\/[^\n]*/g, "$1 ");
  return [...code.matchAll(USES)].map((m) => `${m[0]} (line ${code.slice(0, m.index).split("\n").length})`);
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : /\.(ts|js)$/.test(name) && !name.endsWith(".d.ts") ? [path] : [];
  });
}

/** The firmware's sources: modules/, hosts/esp32, hosts/lin, and the single modules their manifests map from elsewhere. */
function firmwareFiles(): string[] {
  const files = ["modules", "hosts/esp32", "hosts/lin"].flatMap((d) => walk(join(ROOT, d)));
  for (const host of ["esp32", "lin"]) {
    const modules = JSON.parse(readFileSync(join(ROOT, "hosts", host, "manifest.json"), "utf8")).modules as Record<string, string | string[]>;
    for (const path of Object.values(modules)) {
      if (typeof path !== "string" || path.includes("*")) continue;
      const file = join(ROOT, "hosts", host, `${path}.ts`);
      if (existsSync(file) && !files.includes(file)) files.push(file);
    }
  }
  return files;
}

describe("no 64-bit DataView access in the firmware (the board's XS reads it as 32 bits)", () => {
  it("finds a planted use of each kind, and ignores comments", () => {
    for (const planted of ["v.getBigInt64(0, true)", "v.setBigUint64(8, x)", "v.getBigUint64(0)", "view['setBigInt64'](0, 1n)", "new BigInt64Array(4)", "BigUint64Array.from([1n])"]) {
      expect(bigInt64Uses(`const a = 1;\n${planted};`), planted).toHaveLength(1);
    }
    expect(bigInt64Uses("// getBigInt64 reads 32 bits on the board\n/* new BigUint64Array(2) */ const url = 'http://x'; v.getUint32(0);")).toEqual([]);
    expect(bigInt64Uses("const s = 'x'; // a\nv.getBigInt64(0);")).toEqual(["getBigInt64 (line 2)"]);
  });

  it("holds for modules/ and the board side of hosts/", () => {
    const files = firmwareFiles();
    expect(files.some((f) => f.endsWith("hosts/node/sim/prng.ts"))).toBe(true); // mapped in by hosts/lin
    expect(files.length).toBeGreaterThan(100);
    const uses = files.flatMap((f) => bigInt64Uses(readFileSync(f, "utf8")).map((u) => `${relative(ROOT, f)}: ${u}`));
    expect(uses).toEqual([]);
  });
});
