// The board's native C (the TWAI module and board-native) compiles in CI: arm-none-eabi-gcc
// -fsyntax-only with -Wall -Werror against XS's real xs.h/xsmc.h and our declarations of the ESP-IDF
// and Moddable host APIs they use (hosts/esp32/check). A call that does not match a declaration, an
// undeclared function or a missing include fails here rather than in an SDK build nobody runs.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { missing } from "../support/requires";

const ROOT = resolve(__dirname, "../..");
const XS = join(ROOT, "node_modules/@agoric/xsnap/moddable/xs/includes");
const FILES = ["hosts/esp32/twai/twai-native.c", "hosts/esp32/native/board-native.c"];

function check(file: string): string {
  try {
    execFileSync("arm-none-eabi-gcc", ["-fsyntax-only", "-std=gnu11", "-mcpu=cortex-m3", "-mthumb", "-Wall", "-Werror", `-I${join(ROOT, "hosts/esp32/check")}`, `-I${XS}`, file], { stdio: "pipe" });
    return "";
  } catch (e) {
    return String((e as { stderr?: Buffer }).stderr ?? e);
  }
}

describe.skipIf(missing("armGcc"))("the board's native C", () => {
  for (const file of FILES) {
    it(`${file} compiles against the declared APIs`, () => {
      expect(check(join(ROOT, file))).toBe("");
    });
  }

  it("the check can fail: a call with the wrong arguments does not compile", () => {
    const dir = mkdtempSync(join(tmpdir(), "native-c-"));
    try {
      const broken = readFileSync(join(ROOT, FILES[0]), "utf8").replace("twai_start();\n\t\tif ((alerts", "twai_start(1);\n\t\tif ((alerts");
      expect(broken).toContain("twai_start(1)");
      const path = join(dir, "twai-native.c");
      writeFileSync(path, broken);
      expect(check(path)).toMatch(/too many arguments|error/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("TWAI: bus-off recovery restarts the driver, and the destructor neither waits nor frees under queued messages", () => {
    const c = readFileSync(join(ROOT, FILES[0]), "utf8");
    const destructor = c.slice(c.indexOf("void xs_twai_destructor(void *data)\n{"), c.indexOf("void xs_twai_constructor"));
    expect(destructor).not.toMatch(/vTaskDelay|c_free/);
    expect(c).toMatch(/TWAI_ALERT_BUS_RECOVERED\)\s*\n\s*twai_start\(\);/);
    expect(c).not.toContain("vTaskDelay(");
  });
});
