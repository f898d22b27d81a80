// hosts/esp32 and hosts/lin type-check against the Moddable typings (our
// hand-written declarations in hosts/esp32/types, since CI has no Moddable SDK).
import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { manifestTypings } from "../support/manifest-typings";

const root = resolve(__dirname, "../..");
const tsc = join(root, "node_modules/typescript/bin/tsc");

function check(project: string): { ok: boolean; output: string } {
  try {
    execFileSync(process.execPath, [tsc, "-p", project, "--pretty", "false"], { cwd: root, encoding: "utf8", stdio: "pipe" });
    return { ok: true, output: "" };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    return { ok: false, output: `${err.stdout ?? ""}${err.stderr ?? ""}` };
  }
}

describe("Moddable type check (tsconfig.esp32.json)", () => {
  it("finds a planted misuse of an ECMA-419 class", () => {
    const dir = mkdtempSync(join(tmpdir(), "xsm-esp32-"));
    try {
      writeFileSync(join(dir, "planted.ts"), `import SPI from "embedded:io/spi";\nconst spi = new SPI({ hz: "fast" });\nspi.transfer(42);\n`);
      writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({
        extends: join(root, "tsconfig.esp32.json"),
        include: [join(root, "hosts/esp32/types/*.d.ts"), join(dir, "planted.ts")],
      }));
      const r = check(join(dir, "tsconfig.json"));
      expect(r.ok).toBe(false);
      expect(r.output).toMatch(/planted\.ts/);
      expect(r.output).toMatch(/error TS/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("holds for hosts/esp32 and hosts/lin", () => {
    const r = check("tsconfig.esp32.json");
    expect(r.output).toBe("");
    expect(r.ok).toBe(true);
  });
});

// The native modules' declarations (twai-native, board-native, stpm-snapshot …) reach mcconfig's tsc through
// the manifests; tsconfig.esp32.json has to list them by hand (JSON), so this compares the two.
const MANIFESTS = { esp32: join(root, "hosts/esp32/roles/slave.json"), lin: join(root, "hosts/lin/roles/slave.json") };

describe("tsconfig.esp32.json against the manifests", () => {
  it("maps every native module's declaration the manifests map, to the same file", () => {
    const fromManifests = Object.fromEntries(Object.entries(MANIFESTS).flatMap(([platform, m]) =>
      Object.entries(manifestTypings(m, platform).paths).filter(([, [p]]) => existsSync(`${p}.d.ts`)).map(([s, [p]]) => [s, `${p}.d.ts`])));
    const config = JSON.parse(readFileSync(join(root, "tsconfig.esp32.json"), "utf8")) as { compilerOptions: { paths: Record<string, string[]> } };
    const fromConfig = Object.fromEntries(Object.entries(config.compilerOptions.paths).map(([s, [p]]) => [s, join(root, p)]));
    expect(Object.keys(fromManifests).length).toBeGreaterThan(0);
    expect(fromConfig).toEqual(fromManifests);
  });

  it("includes the declaration files the manifests add to every program", () => {
    const types = Object.entries(MANIFESTS).flatMap(([platform, m]) => manifestTypings(m, platform).types);
    for (const t of types) {
      expect(existsSync(`${t}.d.ts`), t).toBe(true);
      expect(dirname(t), t).toBe(join(root, "hosts/esp32/types")); // tsconfig.esp32.json includes hosts/esp32/types/*.d.ts
    }
  });
});

// With a Moddable SDK on this machine ($MODDABLE, not in CI), the board code is also checked against the
// SDK's own typings instead of our hand-written ones, one program per host as mcconfig builds it: the SDK's
// paths, then the paths and declaration files our manifests give mcconfig (test/support/manifest-typings.ts).
const sdk = process.env.MODDABLE;
const sdkTypings = sdk ? join(sdk, "typings") : "";
describe.skipIf(!sdk || !existsSync(join(sdkTypings, "tsconfig.es2024.json")))("Moddable type check against $MODDABLE/typings", () => {
  function sdkCheck(platform: keyof typeof MANIFESTS, files: string[]): { ok: boolean; output: string } {
    const ours = manifestTypings(MANIFESTS[platform], platform);
    const dir = mkdtempSync(join(tmpdir(), "xsm-sdk-"));
    try {
      writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({
        extends: join(sdkTypings, "tsconfig.es2024.json"),
        compilerOptions: {
          baseUrl: sdkTypings, ignoreDeprecations: "6.0", noEmit: true, strict: true, skipLibCheck: true, types: [], typeRoots: [],
          paths: { ...JSON.parse(readFileSync(join(sdkTypings, "tsconfig.es2024.json"), "utf8")).compilerOptions.paths, ...ours.paths },
        },
        // xs and global are the types examples/manifest_base.json (included by our manifest.json) gives mcconfig
        files: [join(sdk!, "xs/includes/xs.d.ts"), join(sdkTypings, "global.d.ts"), ...ours.types.map((t) => `${t}.d.ts`), ...files],
      }));
      return check(join(dir, "tsconfig.json"));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  for (const host of ["esp32", "lin"] as const) {
    it(`holds for every hosts/${host} module`, () => {
      const files = readdirSync(join(root, "hosts", host)).filter((f) => f.endsWith(".ts")).map((f) => join(root, "hosts", host, f));
      const r = sdkCheck(host, files);
      expect(r.output).toBe("");
      expect(r.ok).toBe(true);
    });
  }

  it("and finds a planted misuse there as well", () => {
    const dir = mkdtempSync(join(tmpdir(), "xsm-planted-"));
    try {
      const planted = join(dir, "planted.ts");
      writeFileSync(planted, `import Digital from "embedded:io/digital";\nnew Digital({ pin: "GPIO4", mode: Digital.Output }).write(true);\n`);
      const r = sdkCheck("esp32", [planted]);
      expect(r.ok).toBe(false);
      expect(r.output).toMatch(/planted\.ts.*error TS/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
