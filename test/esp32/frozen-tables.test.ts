import { describe, expect, test } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The board preloads modules/ with xsl: a module-level object or array that is not frozen is
 * "aliasable", so XS copies it from flash into RAM at start-up (xsl prints "not frozen"; an ESP32
 * gives XS ~160 KB in all). The Moddable SDK is not in CI, so this checks the same thing cheaply on
 * the host: every exported table is frozen all the way down, and no module declares an unfrozen
 * array/object literal at module level (the shape of every table xsl warned about).
 */
const ROOT = join(__dirname, "../../modules");

function moduleFiles(): string[] {
  const out: string[] = [];
  for (const room of readdirSync(ROOT, { withFileTypes: true })) {
    if (!room.isDirectory()) continue;
    for (const f of readdirSync(join(ROOT, room.name))) {
      if (f.endsWith(".ts") && !f.endsWith(".d.ts")) out.push(`${room.name}/${f}`);
    }
  }
  return out.sort();
}

/** Objects XS keeps read-only in flash whatever Object.freeze says (typed arrays cannot be frozen in JS). */
function readOnlyInRom(v: object): boolean {
  return ArrayBuffer.isView(v) || v instanceof ArrayBuffer || v instanceof Map || v instanceof Set;
}

/** Paths below `v` (itself included) that are objects and not frozen. */
function unfrozen(v: unknown, path: string, seen = new Set<object>()): string[] {
  if (v === null || typeof v !== "object" || seen.has(v) || readOnlyInRom(v)) return [];
  seen.add(v);
  const out = Object.isFrozen(v) ? [] : [path];
  for (const k of Object.keys(v)) out.push(...unfrozen((v as Record<string, unknown>)[k], `${path}.${k}`, seen));
  return out;
}

describe("constant tables are frozen, so the preloaded firmware keeps them in flash", () => {
  test("every object a modules/ file exports is frozen, deeply", async () => {
    const bad: string[] = [];
    let tables = 0;
    for (const file of moduleFiles()) {
      const ns = (await import(join(ROOT, file))) as Record<string, unknown>;
      for (const [name, value] of Object.entries(ns)) {
        if (value === null || typeof value !== "object") continue; // functions and classes: xsl freezes those itself
        tables++;
        bad.push(...unfrozen(value, `${file} ${name}`));
      }
    }
    expect(tables).toBeGreaterThan(20); // the import really found the tables (PROPERTY_BY_ID, NAV, ASSETS, OBIS, …)
    expect(bad).toEqual([]);
  });

  test("the checker itself sees a nested unfrozen table and skips typed arrays", () => {
    const planted = Object.freeze({ ok: Object.freeze([1]), rows: [[1, "a"]], crc: new Uint32Array(4) });
    expect(unfrozen(planted, "t")).toEqual(["t.rows", "t.rows.0"]);
    expect(unfrozen(Object.freeze({ rows: Object.freeze([Object.freeze([1])]) }), "t")).toEqual([]);
  });

  // Module-level literals that are only read while the module loads (xsl drops or never reaches them at run time).
  const LOAD_TIME_ONLY: Record<string, string> = {
    "core/obis.ts ROWS": "read once to build the frozen OBIS registry",
    "mqtt/properties.ts DEFS": "each definition is frozen as PROPERTY_BY_ID/PROPERTY_BY_NAME index it",
  };

  test("no module declares an unfrozen array or object literal at module level", () => {
    const bad: string[] = [];
    const found = new Set<string>();
    const literal = /^(?:export )?const (\w+)(?::[^=]+)? = [[{]/;
    for (const file of moduleFiles()) {
      for (const line of readFileSync(join(ROOT, file), "utf8").split("\n")) {
        const m = literal.exec(line);
        if (m && !(`${file} ${m[1]}` in LOAD_TIME_ONLY)) bad.push(`${file} ${m[1]}`);
        if (m && `${file} ${m[1]}` in LOAD_TIME_ONLY) found.add(`${file} ${m[1]}`);
      }
    }
    expect(bad).toEqual([]);
    expect([...found].sort()).toEqual(Object.keys(LOAD_TIME_ONLY).sort()); // no stale exception
    expect(literal.test('const T = ["a"];') && !literal.test('const T = Object.freeze(["a"]);')).toBe(true);
  });

  // A preloaded typed array is read-only on the board (XS linker: integer-indexed assignment throws), while
  // Node and xsnap let it be written: a module-level buffer used as scratch would pass every host test and
  // throw on the ESP32. Module-level typed arrays must be read-only tables, or swapped for RAM copies at run time.
  const READ_ONLY_OR_SWAPPED: Record<string, string> = {
    "secure/aes128.ts T0": "AES T-tables built at import, only read (T1..T3 on the same line)",
    "ota/slots.ts NO_MARK": "zero length",
    "http/request-parser.ts EMPTY": "zero length",
    "secure/ed25519.ts GF0": "constant, only read (so are GF1, D, D2, BX, BY, SQRTM1)",
    "secure/ed25519.ts GF1": "constant", "secure/ed25519.ts D": "constant", "secure/ed25519.ts D2": "constant",
    "secure/ed25519.ts BX": "constant", "secure/ed25519.ts BY": "constant", "secure/ed25519.ts SQRTM1": "constant",
    "secure/ed25519.ts packT": "scratch: useRuntimeScratch() swaps it (and packM, cmpA, cmpB, product, ta…tt) for RAM copies",
    "secure/ed25519.ts packM": "scratch, swapped", "secure/ed25519.ts cmpA": "scratch, swapped", "secure/ed25519.ts cmpB": "scratch, swapped",
    "secure/ed25519.ts product": "scratch, swapped", "secure/ed25519.ts ta": "scratch, swapped (tb…tt on the same line)",
  };

  test("module-level typed arrays are read-only tables or swapped for RAM copies at run time", () => {
    const bad: string[] = [];
    const found = new Set<string>();
    const typed = /^(?:export )?(?:const|let) (\w+)(?::[^=]+)? = (?:new (?:Uint8|Uint16|Uint32|Int8|Int16|Int32|Float32|Float64)Array\(|gf\()/;
    for (const file of moduleFiles()) {
      for (const line of readFileSync(join(ROOT, file), "utf8").split("\n")) {
        const m = typed.exec(line);
        if (!m) continue;
        const key = `${file} ${m[1]}`;
        if (key in READ_ONLY_OR_SWAPPED) found.add(key);
        else bad.push(key);
      }
    }
    expect(bad).toEqual([]);
    expect([...found].sort()).toEqual(Object.keys(READ_ONLY_OR_SWAPPED).sort());
    expect(typed.test("const scratch = new Float64Array(8);") && !typed.test("  const local = new Float64Array(8);")).toBe(true);
    const src = readFileSync(join(ROOT, "secure/ed25519.ts"), "utf8");
    const body = src.slice(src.indexOf("function useRuntimeScratch"), src.indexOf("\n}\n", src.indexOf("function useRuntimeScratch")));
    for (const name of ["packT", "packM", "cmpA", "cmpB", "product", "ta", "tb", "tc", "td", "te", "tf", "tg", "th", "tt"]) expect(body, name).toMatch(new RegExp(`\\b${name} = `));
  });
});
