// On the board Moddable freezes Error.prototype and every preloaded class prototype. An Error
// subclass that assigns `this.name` then throws in its own constructor ("set name: not writable"):
// the calibration store's decode error did, so after any single save the meter booted on identity
// calibration. Here the store runs in a vm context frozen the same way.
import { describe, expect, it } from "vitest";
import { createContext, runInContext } from "node:vm";
import { resolve } from "node:path";
import { bundleForXs } from "../../hosts/node/xs/runner";

const ENTRY = resolve(__dirname, "fixtures/frozen-calibration-entry.ts");

/** A fresh realm with its intrinsics frozen before the bundle loads, and its classes after. */
async function frozenRealm(): Promise<Record<string, unknown>> {
  const ctx = createContext({});
  runInContext(`"use strict";
    for (const C of [Error, TypeError, RangeError, SyntaxError, ReferenceError]) { Object.freeze(C.prototype); Object.freeze(C); }
    Object.freeze(Object.prototype); Object.freeze(Array.prototype); Object.freeze(Function.prototype);`, ctx);
  runInContext(await bundleForXs(ENTRY, "__frozen"), ctx);
  const mod = runInContext("__frozen", ctx) as Record<string, unknown>;
  for (const k of ["CalibrationRecordError", "CalibrationStore", "RamFlash"]) {
    const C = mod[k] as { prototype: object };
    Object.freeze(C.prototype);
    Object.freeze(C);
  }
  return mod;
}

describe("the calibration store with frozen prototypes (as preloaded on the board)", () => {
  it("reads its record after one save, the other sector erased", async () => {
    const mod = await frozenRealm();
    const r = (mod.saveOnceThenBoot as () => { sequence: number; loaded: { sequence: number; phases: { u: { gain: number } }[] } | null; slots: string[] })();
    expect(r.sequence).toBe(1);
    expect(r.loaded?.sequence).toBe(1);
    expect(r.loaded?.phases[0].u.gain).toBe(1.25);
    expect(r.slots).toEqual(["valid", "erased"]);
  });

  it("names a record that does not decode, with the error's own name", async () => {
    const mod = await frozenRealm();
    const E = mod.CalibrationRecordError as new (reason: string, message: string) => Error & { reason: string };
    const e = new E("crc", "calibration record CRC mismatch");
    expect([e.name, e.reason, e.message]).toEqual(["CalibrationRecordError", "crc", "calibration record CRC mismatch"]);
  });
});
