// What mcconfig's TypeScript step sees of our own manifests, derived from them so the type checks in
// test/esp32/typecheck.test.ts need no second hand-kept list. It follows the SDK's tools/mcmanifest.js
// (TSConfigFile.generate and iterate): a module specifier maps to its .ts, else its .d.ts, else its .js,
// without the extension; "types" of typescript.tsconfig.compilerOptions are resolved beside the manifest.
// Includes and sources under $(MODDABLE) are left out: the SDK's typings paths already cover those.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, extname, join, resolve } from "node:path";

export interface ManifestTypings {
  /** tsconfig paths: specifier → [file without extension] */
  paths: Record<string, string[]>;
  /** declaration files mcconfig adds to every program (compilerOptions.types), without ".d.ts" */
  types: string[];
}

type Sources = string | string[];
interface Manifest {
  include?: Sources;
  modules?: Record<string, Sources>;
  platforms?: Record<string, { include?: Sources }>;
  typescript?: { tsconfig?: { compilerOptions?: { types?: string[] } } };
}

const KINDS = [".ts", ".d.ts", ".js"] as const; // mcconfig's precedence for one specifier (the .ts overwrites the .d.ts)
type Kind = (typeof KINDS)[number];

function list(s: Sources | undefined): string[] {
  return s === undefined ? [] : Array.isArray(s) ? s : [s];
}

function kindOf(file: string): Kind | undefined {
  if (file.endsWith(".d.ts")) return ".d.ts";
  const ext = extname(file);
  return ext === ".ts" || ext === ".js" ? ext : undefined;
}

/** The manifests mcconfig reads for `platform`, starting at `manifest`, ours only (not $(MODDABLE)'s). */
function manifests(manifest: string, platform: string, seen = new Set<string>()): string[] {
  const file = resolve(manifest);
  if (seen.has(file)) return [];
  seen.add(file);
  const m = JSON.parse(readFileSync(file, "utf8")) as Manifest;
  const chosen = m.platforms?.[platform] ?? m.platforms?.["..."];
  const includes = [...list(m.include), ...list(chosen?.include)].filter((i) => !i.startsWith("$("));
  return [file, ...includes.flatMap((i) => manifests(join(dirname(file), i), platform, seen))];
}

/** mcconfig's iterate(): the files a module source names, each with the specifier it gets. */
function sourceFiles(target: string, source: string, base: string): Array<{ specifier: string; file: string }> {
  const star = target.indexOf("*");
  const path = join(base, source);
  const dir = dirname(path);
  const name = path.slice(dir.length + 1);
  const sourceStar = name.indexOf("*");
  const prefix = sourceStar >= 0 ? name.slice(0, sourceStar) : name;
  if (!existsSync(dir)) throw new Error(`${base}: module source ${source} names a missing folder`);
  const out: Array<{ specifier: string; file: string }> = [];
  for (const f of readdirSync(dir)) {
    const kind = kindOf(f);
    if (!kind || f.startsWith(".")) continue;
    const stem = f.slice(0, -kind.length);
    if (sourceStar >= 0 ? !stem.startsWith(prefix) : stem !== prefix) continue;
    const specifier = star >= 0 ? target.slice(0, star) + (sourceStar >= 0 ? stem.slice(prefix.length) : stem) : target;
    out.push({ specifier, file: join(dir, f) });
  }
  return out;
}

/** The paths and types mcconfig's tsc gets from our manifests for `platform` (e.g. "esp32", "lin"). */
export function manifestTypings(manifest: string, platform: string): ManifestTypings {
  const found = new Map<string, Partial<Record<Kind, string>>>();
  const types: string[] = [];
  for (const file of manifests(manifest, platform)) {
    const m = JSON.parse(readFileSync(file, "utf8")) as Manifest;
    const base = dirname(file);
    for (const [target, sources] of Object.entries(m.modules ?? {})) {
      for (const source of list(sources).filter((s) => !s.startsWith("$("))) {
        for (const { specifier, file: f } of sourceFiles(target, source, base)) {
          const entry = found.get(specifier) ?? {};
          entry[kindOf(f)!] = f;
          found.set(specifier, entry);
        }
      }
    }
    for (const t of m.typescript?.tsconfig?.compilerOptions?.types ?? []) if (!t.startsWith("$(")) types.push(join(base, t));
  }
  const paths: Record<string, string[]> = {};
  for (const [specifier, entry] of found) {
    const kind = KINDS.find((k) => entry[k])!;
    paths[specifier] = [entry[kind]!.slice(0, -kind.length)];
  }
  return { paths, types };
}
