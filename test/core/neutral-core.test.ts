// The engine-neutral rule: nothing under modules/ may reach Node or Moddable.
// The checker is a plain function so a planted violation proves it can fail.
import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { findViolations } from "./neutral-rules";

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : path.endsWith(".ts") ? [path] : [];
  });
}

describe("engine-neutral core", () => {
  it("finds a planted violation of every kind", () => {
    const planted = [
      `import { readFileSync } from "node:fs";`,
      `import net from "net";`,
      `import Timer from "timer";`,
      `import Poco from "commodetto/Poco";`,
      `import SPI from "embedded:io/spi";`,
      `const b = Buffer.from("x");`,
      `if (process.env.X) {}`,
      `setTimeout(() => 0, 5);`,
      `setInterval(() => 0, 5);`,
      `const fs = require("fs");`,
      `const m = await import("node:os");`,
    ];
    for (const line of planted) expect(findViolations(line), line).not.toHaveLength(0);
  });

  it("ignores comments, strings and look-alike names", () => {
    const clean = [
      `// setTimeout(() => 0) is what hosts use; we use the Clock port`,
      `const text = "process.env and Buffer.from are not used here";`,
      `import { Clock } from "../core/clock";`,
      `const myBuffer = new Uint8Array(4); clock.after(5, cb);`,
      `/* require("fs") */ const x = 1;`,
    ];
    for (const line of clean) expect(findViolations(line), line).toEqual([]);
  });

  it("holds for every file under modules/", () => {
    const root = join(__dirname, "../../modules");
    const files = walk(root);
    expect(files.length).toBeGreaterThan(5);
    const problems = files.flatMap((file) => findViolations(readFileSync(file, "utf8")).map((v) => `${relative(root, file)}: ${v}`));
    expect(problems).toEqual([]);
  });
});
