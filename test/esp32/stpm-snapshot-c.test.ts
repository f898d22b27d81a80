// The snapshot capture's C (hosts/esp32/snapshot/stpm-snapshot.c) compiles in CI: -fsyntax-only
// -Wall -Werror with the host gcc (always here) and arm-none-eabi-gcc for a Cortex-M3 (when
// installed), against XS's real xs.h/xsmc.h (@agoric/xsnap), the Moddable host declarations of
// hosts/esp32/check and our ESP-IDF declarations in test/esp32/native-stubs. A call that does not
// match a declaration fails here; and the capture makes no JavaScript call per sample.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { missing } from "../support/requires";

const ROOT = resolve(__dirname, "../..");
const FILE = join(ROOT, "hosts/esp32/snapshot/stpm-snapshot.c");
const INCLUDES = [join(ROOT, "test/esp32/native-stubs"), join(ROOT, "hosts/esp32/check"), join(ROOT, "node_modules/@agoric/xsnap/moddable/xs/includes")];

function check(compiler: string, extra: string[], file: string): string {
  try {
    execFileSync(compiler, ["-fsyntax-only", "-std=gnu11", "-Wall", "-Werror", ...extra, ...INCLUDES.map((d) => `-I${d}`), file], { stdio: "pipe" });
    return "";
  } catch (e) {
    return String((e as { stderr?: Buffer }).stderr ?? e);
  }
}

function broken(): string {
  const dir = mkdtempSync(join(tmpdir(), "snapshot-c-"));
  const text = readFileSync(FILE, "utf8").replace("spi_device_polling_transmit(s->device, &t)", "spi_device_polling_transmit(s->device, t)");
  expect(text).toContain("spi_device_polling_transmit(s->device, t)");
  const path = join(dir, "stpm-snapshot.c");
  writeFileSync(path, text);
  return path;
}

describe("stpm-snapshot.c with the host gcc", () => {
  it("compiles against the declared APIs", () => {
    expect(check("gcc", [], FILE)).toBe("");
  });
  it("the check can fail: a transaction passed by value does not compile", () => {
    const path = broken();
    try {
      expect(check("gcc", [], path)).toMatch(/error/);
    } finally {
      rmSync(resolve(path, ".."), { recursive: true, force: true });
    }
  });
  it("samples in the timer's callback with no call into XS (no xsCall, no machine use per sample)", () => {
    const c = readFileSync(FILE, "utf8");
    const callback = c.slice(c.indexOf("static void sampleOnce(void *arg)"), c.indexOf("void xs_stpm_snapshot_destructor"));
    expect(callback).toContain("frame(s, kV1Data");
    expect(callback).not.toMatch(/xs[A-Z]|the\b|modMessagePost/);
  });
});

describe.skipIf(missing("armGcc"))("stpm-snapshot.c with arm-none-eabi-gcc (Cortex-M3)", () => {
  it("compiles against the declared APIs", () => {
    expect(check("arm-none-eabi-gcc", ["-mcpu=cortex-m3", "-mthumb"], FILE)).toBe("");
  });
});
