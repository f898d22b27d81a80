// Each role has its own manifest (hosts/esp32/roles/<role>.json) that includes the project's and sets the
// role and the XS creation measured for it (docs/board.md, "Which board each role needs"): the role named
// matches the file, the arena holds what the creation asks for, and the sizes are the ones board-config accepts.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const DIR = join(__dirname, "../../hosts/esp32/roles");
const SLOT = 16; // bytes per XS slot on a 32-bit target

interface RoleManifest {
  include: string[];
  config: { xsmeter: { role: string } };
  creation: { static: number; chunk: { initial: number; incremental: number }; heap: { initial: number; incremental: number }; stack: number };
}

describe("role manifests", () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith(".json")).sort();

  it("exist for both roles and include the project's manifest", () => {
    expect(files).toEqual(["aggregator.json", "slave.json"]);
    for (const f of files) {
      const m = JSON.parse(readFileSync(join(DIR, f), "utf8")) as RoleManifest;
      expect(m.include).toEqual(["../../../manifest.json"]);
      expect(m.config.xsmeter.role).toBe(f.replace(".json", ""));
    }
  });

  it("set a creation whose static arena holds its initial chunks, slots and stack", () => {
    for (const f of files) {
      const { creation: c } = JSON.parse(readFileSync(join(DIR, f), "utf8")) as RoleManifest;
      expect(c.static, f).toBeGreaterThanOrEqual(c.chunk.initial + (c.heap.initial + c.stack) * SLOT);
      expect(c.chunk.incremental).toBeGreaterThan(0);
      expect(c.heap.incremental).toBeGreaterThan(0);
    }
  });

  it("give the aggregator more than the slave (it keeps the histories, the display and the CAN master)", () => {
    const [agg, slave] = files.map((f) => (JSON.parse(readFileSync(join(DIR, f), "utf8")) as RoleManifest).creation.static);
    expect(agg).toBeGreaterThan(slave);
  });
});
