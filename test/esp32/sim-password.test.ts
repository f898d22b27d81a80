// The node simulator keeps its web sign-in record in a file beside its flash (the
// board keeps it in NVS): a restarted sim still has the password, so first use
// cannot be claimed again; a damaged file locks sign-in instead of reopening it.
import { describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DemoHousehold } from "../../modules/app/demo-household";
import { startWebServer } from "../../hosts/node/http/serve";
import { passwordFile } from "../../hosts/node/http/password-file";
import { LOCKED_RECORD } from "../../modules/http/password-record";
import { nodeClock } from "../../hosts/node/node-clock";

describe("sim web password file", () => {
  it("survives a restart of the web server, owner-only; damaged locks", async () => {
    const dir = mkdtempSync(join(tmpdir(), "xsm-pw-"));
    try {
      const path = join(dir, "agg.password");
      const clock = nodeClock();
      const household = new DemoHousehold(clock).store;
      const start = () => {
        const pw = passwordFile(path);
        return startWebServer({ household, clock, port: 0, pbkdf2Iterations: 50, storedPassword: pw.stored, savePassword: pw.save });
      };
      let web = await start();
      expect(web.app.auth.hasPassword).toBe(false);
      expect(web.app.auth.setPassword("a long enough secret")).toBeUndefined();
      await web.close();
      expect(readFileSync(path, "utf8")).toMatch(/^pbkdf2-sha256\$50\$[0-9a-f]{32}\$[0-9a-f]{64}\n$/);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      web = await start();
      expect(web.app.auth.hasPassword).toBe(true);
      expect(web.app.auth.verify("a long enough secret", "127.0.0.1")).toBe("ok");
      const setup = await fetch(`${web.url}setup`, { redirect: "manual" });
      expect(setup.headers.get("location")).toBe("/login");
      await web.close();
      writeFileSync(path, "pbkdf2-sha256$50$nothex\n");
      expect(passwordFile(path).stored).toBe(LOCKED_RECORD);
      expect(passwordFile(join(dir, "none")).stored).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
