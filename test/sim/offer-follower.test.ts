// The simulated utility's reading of firmware reports after an offer (hosts/node/sim/offer-follower.ts):
// an older report resent after a newer one — the meter's outbox resending boot 3's "running 1.0.0"
// after the trial's "verified" — is passed over by its (boot, seq), not read as a rollback.
import { describe, expect, it } from "vitest";
import { OfferFollower } from "../../hosts/node/sim/offer-follower";

describe("OfferFollower", () => {
  const offer = () => {
    const f = new OfferFollower();
    f.report({ boot: 3, seq: 1, running: "1.0.0", phase: "running" }, true); // retained, from before the offer
    f.offered = "1.1.0";
    f.report({ boot: 3, seq: 2, running: "1.0.0", phase: "downloading", offered: "1.1.0" }, false);
    f.report({ boot: 3, seq: 3, running: "1.0.0", phase: "verified", offered: "1.1.0" }, false);
    return f;
  };

  it("passes over an old 'running 1.0.0' resent after 'verified', then confirms", () => {
    const f = offer();
    f.report({ boot: 3, seq: 1, running: "1.0.0", phase: "running" }, false);
    expect(f.outcome).toBeUndefined();
    expect(f.older).toBe(1);
    f.report({ boot: 4, seq: 1, running: "1.1.0", phase: "confirmed" }, false);
    expect(f.outcome).toBe("confirmed");
    expect(f.states.map((s) => s.phase)).toEqual(["downloading", "verified", "confirmed"]);
  });

  it("still reads a real rollback: the next boot running the old version", () => {
    const f = offer();
    f.report({ boot: 5, seq: 1, running: "1.0.0", phase: "running" }, false);
    expect(f.outcome).toBe("rolled back");
  });

  it("takes earlier firmware's reports without seq as they come", () => {
    const f = new OfferFollower();
    f.offered = "1.1.0";
    f.report({ boot: 3, running: "1.0.0", phase: "verified", offered: "1.1.0" }, false);
    f.report({ boot: 4, running: "1.1.0", phase: "confirmed" }, false);
    expect(f.outcome).toBe("confirmed");
  });
});
