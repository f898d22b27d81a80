// The rooms' Moddable manifests preload every module by name. mcconfig matches a wildcard preload
// ("modules/core/*") against .js files only, so with TypeScript sources a wildcard preloads nothing:
// those modules were loaded into RAM at run time on the board instead of living in flash.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(__dirname, "../../modules");
/** Modules of a room deliberately left out of its preload, with why. */
const NOT_PRELOADED: Record<string, string> = {
  "modules/app/demo-household": "the presentation tests' fake household, not part of the firmware",
};

function rooms(): string[] {
  return readdirSync(ROOT, { withFileTypes: true }).filter((d) => d.isDirectory() && existsSync(join(ROOT, d.name, "manifest.json"))).map((d) => d.name);
}

function sources(room: string): string[] {
  const out: string[] = [];
  // the room itself and its sub-folders (ui/fonts, http/charts)
  const subs = ["", ...readdirSync(join(ROOT, room), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => `${d.name}/`)];
  for (const sub of subs) {
    const dir = join(ROOT, room, sub);
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir)) if (f.endsWith(".ts") && !f.endsWith(".d.ts")) out.push(`modules/${room}/${sub}${f.slice(0, -3)}`);
  }
  return out;
}

describe("room manifests", () => {
  it("preload every module by name (no wildcard), only modules that exist", () => {
    for (const room of rooms()) {
      const preload: string[] = JSON.parse(readFileSync(join(ROOT, room, "manifest.json"), "utf8")).preload ?? [];
      expect(preload.filter((p) => p.includes("*")), room).toEqual([]);
      const files = sources(room);
      expect(preload.filter((p) => !files.includes(p)), `${room}: preloads naming no module`).toEqual([]);
      expect(files.filter((f) => !preload.includes(f) && !(f in NOT_PRELOADED)), `${room}: modules not preloaded`).toEqual([]);
    }
  });
});
