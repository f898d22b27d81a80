import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { utf8Encode } from "../../modules/core/bytes";
import { EnergyRegisters } from "../../modules/energy/registers";
import { EnergyStore } from "../../modules/energy/energy-store";
import { Journal } from "../../modules/energy/journal";
import { hmacPresetVerifier } from "../../modules/energy/preset-auth";
import { NorFlashSim } from "../../hosts/node/flash/nor-flash-sim";

const T0 = Date.UTC(2026, 2, 1);

describe("EnergyRegisters", () => {
  it("T16: per-phase and phase-balanced import/export", () => {
    const r = new EnergyRegisters();
    for (let s = 1; s <= 3600; s++) r.integrate(T0 + s * 1000, 1000, [-500, 1000, 1000]);
    const near = (x: number, y: number) => expect(x).toBeCloseTo(y, 6);
    near(r.get("1-0:1.8.128"), 2000); // per-phase import sum
    near(r.get("1-0:2.8.128"), 500);
    near(r.get("1-0:22.8.0"), 500);
    near(r.get("1-0:41.8.0"), 1000);
    near(r.get("1-0:1.8.0"), 1500); // balanced
    near(r.get("1-0:2.8.0"), 0);
    near(r.get("1-0:1.8.1"), 1500);
  });

  it("splits by tariff, reactive quadrants, and T17 15-min maximum demand", () => {
    const r = new EnergyRegisters();
    r.setTariff(2);
    // 1 kW for the first quarter hour, then 3 kW for the next, then 2 kW.
    const powers = [1000, 3000, 2000];
    let t = T0;
    for (const p of powers) for (let s = 0; s < 900; s++) { t += 1000; r.integrate(t, 1000, [p], [-p / 2]); }
    r.integrate(t + 1000, 1000, [0]);
    expect(r.get("1-0:1.8.2")).toBeCloseTo((1000 + 3000 + 2000) / 4, 6);
    expect(r.get("1-0:8.8.0")).toBeCloseTo(3000 / 4, 6); // QIV: import P, export Q
    expect(r.get("1-0:4.8.0")).toBeCloseTo(3000 / 4, 6);
    // Block energies: the integrator attributes an interval to the block of its end time.
    expect(r.maxDemand.watts).toBeGreaterThan(2990);
    expect(r.maxDemand.watts).toBeLessThanOrEqual(3000);
    expect(r.maxDemand.at).toBe(T0 + 15 * 60_000);
  });

  it("presets only with a valid HMAC and a fresh counter, and logs it in flash", () => {
    const key = utf8Encode("installer key 0123456789abcdef");
    const verify = hmacPresetVerifier(key);
    const flash = new NorFlashSim({ size: 4 * 4096 });
    const store = new EnergyStore(new Journal(flash));
    store.boot(T0);
    store.integrate(T0 + 3600_000, 3600_000, [100]);
    const req = { code: "1-0:1.8.0", valueWh: 1_234_567, counter: 1, actor: "installer" };
    const mac = (r: typeof req) => new Uint8Array(createHmac("sha256", key).update(EnergyRegisters.presetMessage(r)).digest());
    expect(store.preset(T0, req, new Uint8Array(32), verify, utf8Encode)).toMatch(/authentication/);
    expect(store.preset(T0, { ...req, valueWh: 5 }, mac(req), verify, utf8Encode)).toMatch(/authentication/);
    expect(store.registers.get("1-0:1.8.0")).toBeCloseTo(100, 6);
    expect(store.preset(T0, req, mac(req), verify, utf8Encode)).toBeUndefined();
    expect(store.preset(T0, req, mac(req), verify, utf8Encode)).toMatch(/replayed/);
    expect(store.registers.presetLog).toHaveLength(1);
    expect(store.registers.presetLog[0].oldWh).toBeCloseTo(100, 6);
    const again = new EnergyStore(new Journal(flash));
    again.boot(T0 + 1);
    expect(again.registers.get("1-0:1.8.0")).toBe(1_234_567);
    expect(again.registers.presetCounter).toBe(1);
    expect(new Journal(flash).records().map((r) => r.type)).toContain(2);
  });
});

describe("EnergyStore on a file-backed flash", () => {
  it("keeps totals across a restart of the simulator and feeds the load profile", async () => {
    const { mkdtempSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { LoadProfile } = await import("../../modules/energy/profile");
    const dir = mkdtempSync(join(tmpdir(), "energy-"));
    try {
      const file = join(dir, "flash.bin");
      const f1 = new NorFlashSim({ size: 4 * 4096, file });
      const s1 = new EnergyStore(new Journal(f1));
      s1.profile = new LoadProfile(2);
      s1.boot(T0);
      for (let s = 1; s <= 1800; s++) s1.integrate(T0 + s * 1000, 1000, [2000, 0, -500]);
      s1.write(T0 + 1800_000); // an orderly shutdown writes the last snapshot
      expect(s1.profile.interval(T0).importWh + s1.profile.interval(T0 + 15 * 60_000).importWh).toBe(750);
      f1.close();
      const f2 = new NorFlashSim({ size: 4 * 4096, file });
      const s2 = new EnergyStore(new Journal(f2));
      s2.boot(T0 + 3600_000);
      // Restored as the floor of the mWh value: within 1 mWh below, never above.
      expect(750 - s2.registers.get("1-0:1.8.0")).toBeGreaterThanOrEqual(0);
      expect(750 - s2.registers.get("1-0:1.8.0")).toBeLessThanOrEqual(0.0011);
      expect(s2.registers.get("1-0:62.8.0")).toBeCloseTo(250, 2);
      f2.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
