// hosts/esp32 and hosts/lin type-check against the Moddable typings (our
// hand-written declarations in hosts/esp32/types, since CI has no Moddable SDK).
import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

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

// With a Moddable SDK on this machine ($MODDABLE, not in CI), the board code is
// also checked against the SDK's own typings instead of our hand-written ones.
const sdk = process.env.MODDABLE;
const sdkTypings = sdk ? join(sdk, "typings") : "";
describe.skipIf(!sdk || !existsSync(join(sdkTypings, "tsconfig.es2024.json")))("Moddable type check against $MODDABLE/typings", () => {
  function sdkCheck(files: string[]): { ok: boolean; output: string } {
    const dir = mkdtempSync(join(tmpdir(), "xsm-sdk-"));
    try {
      writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({
        extends: join(sdkTypings, "tsconfig.es2024.json"),
        compilerOptions: {
          baseUrl: sdkTypings, ignoreDeprecations: "6.0", noEmit: true, strict: true, skipLibCheck: true, types: [], typeRoots: [],
          // the SDK's module paths, plus our native module's declaration (as mcconfig maps it from the manifest)
          paths: { ...JSON.parse(readFileSync(join(sdkTypings, "tsconfig.es2024.json"), "utf8")).compilerOptions.paths, "twai-native": [join(root, "hosts/esp32/twai/twai-native.d.ts")], "board-native": [join(root, "hosts/esp32/native/board-native.d.ts")] },
        },
        files: [join(sdk!, "xs/includes/xs.d.ts"), ...files],
      }));
      return check(join(dir, "tsconfig.json"));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it("holds for every hosts/esp32 and hosts/lin module", () => {
    const files = ["esp32", "lin"].flatMap((h) => readdirSync(join(root, "hosts", h)).filter((f) => f.endsWith(".ts")).map((f) => join(root, "hosts", h, f)));
    const r = sdkCheck(files);
    expect(r.output).toBe("");
    expect(r.ok).toBe(true);
  });

  it("and finds a planted misuse there as well", () => {
    const dir = mkdtempSync(join(tmpdir(), "xsm-planted-"));
    try {
      const planted = join(dir, "planted.ts");
      writeFileSync(planted, `import Digital from "embedded:io/digital";\nnew Digital({ pin: "GPIO4", mode: Digital.Output }).write(true);\n`);
      const r = sdkCheck([planted]);
      expect(r.ok).toBe(false);
      expect(r.output).toMatch(/planted\.ts.*error TS/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
