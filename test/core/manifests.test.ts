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

// The hosts' manifests (hosts/esp32, hosts/lin) map "hosts/<host>/*" to their own .ts files and name
// single modules of other folders: every one of them must be preloaded too, or it loads into RAM
// at boot (and a class assigned over at run time would hide there, unfrozen).
const HOSTS = join(__dirname, "../../hosts");
const HOST_NOT_PRELOADED: Record<string, string> = {};

function hostManifests(): string[] {
  return readdirSync(HOSTS, { withFileTypes: true }).filter((d) => d.isDirectory() && existsSync(join(HOSTS, d.name, "manifest.json"))).map((d) => d.name);
}

/** The module specifiers a host's manifest builds from .ts files: its own folder's, and those it maps one by one. */
function hostModules(host: string, modules: Record<string, string | string[]>): string[] {
  const out: string[] = [];
  for (const [spec, path] of Object.entries(modules)) {
    if (spec === `hosts/${host}/*`) {
      for (const f of readdirSync(join(HOSTS, host))) if (f.endsWith(".ts") && !f.endsWith(".d.ts")) out.push(`hosts/${host}/${f.slice(0, -3)}`);
    } else if (spec.startsWith("hosts/") && typeof path === "string" && existsSync(join(HOSTS, host, `${path}.ts`))) {
      out.push(spec);
    }
  }
  return out;
}

describe("host manifests", () => {
  it("preload every host module by name, only modules that exist", () => {
    const hosts = hostManifests();
    expect(hosts).toEqual(expect.arrayContaining(["esp32", "lin"]));
    for (const host of hosts) {
      const manifest = JSON.parse(readFileSync(join(HOSTS, host, "manifest.json"), "utf8")) as { modules?: Record<string, string | string[]>; preload?: string[] };
      const preload = manifest.preload ?? [];
      const files = hostModules(host, manifest.modules ?? {});
      expect(files.length, host).toBeGreaterThan(0);
      expect(preload.filter((p) => p.includes("*")), host).toEqual([]);
      expect(preload.filter((p) => p.startsWith("hosts/") && !files.includes(p)), `${host}: preloads naming no module`).toEqual([]);
      expect(files.filter((f) => !preload.includes(f) && !(f in HOST_NOT_PRELOADED)), `${host}: modules not preloaded`).toEqual([]);
    }
  });
});

