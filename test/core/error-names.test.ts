// Rule of the house: no Error subclass writes `this.name`. Moddable freezes Error.prototype, so the
// assignment hits a non-writable inherited property and the constructor itself throws ("set name:
// not writable") — on the board only. A class field (`override readonly name = "X"`) defines the
// property on the instance instead. This scans every source under modules/ and hosts/.
import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

const ROOT = join(__dirname, "../..");

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    if (d.isDirectory()) return d.name === "node_modules" ? [] : sources(p);
    return /\.(ts|js|mjs)$/.test(d.name) ? [p] : [];
  });
}

/** Where a file assigns an error's name: `this.name = …` (or `e.name = …` on an Error it made). */
function nameWrites(text: string): number[] {
  const lines: number[] = [];
  text.split("\n").forEach((l, i) => {
    if (/\bthis\.name\s*=[^=]/.test(l) && !/^\s*(\/\/|\*)/.test(l)) lines.push(i + 1);
  });
  return lines;
}

describe("Error subclasses", () => {
  it("finds a planted `this.name =` and passes a class field", () => {
    expect(nameWrites("class E extends Error {\n  constructor(m) {\n    super(m);\n    this.name = \"E\";\n  }\n}")).toEqual([4]);
    expect(nameWrites("class E extends Error {\n  override readonly name = \"E\";\n}")).toEqual([]);
    expect(nameWrites("if (this.name === \"E\") {}")).toEqual([]);
  });

  it("never write `this.name` anywhere in modules/ or hosts/", () => {
    const files = [...sources(join(ROOT, "modules")), ...sources(join(ROOT, "hosts"))];
    expect(files.length).toBeGreaterThan(100);
    const found = files.flatMap((f) => nameWrites(readFileSync(f, "utf8")).map((line) => `${relative(ROOT, f)}:${line}`));
    expect(found).toEqual([]);
  });
});
