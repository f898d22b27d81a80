import { describe, expect, it } from "vitest";
import { decisionWhat, money, plainReason, price, when, watts } from "../../modules/core/present";

const T = Date.UTC(2026, 11, 2, 17, 30); // 18:30 at UTC+60

describe("words and numbers as the household reads them", () => {
  it("money has a real minus before the currency, prices one decimal", () => {
    expect(money(-13, "EUR")).toBe("−€0.13");
    expect(money(13, "EUR")).toBe("€0.13");
    expect(money(123456, "GBP")).toBe("£1234.56");
    expect(money(NaN, "EUR")).toBe("not known yet");
    expect([price(26.8), price(26.91), price(34), price(-1.25)]).toEqual(["26.8 c/kWh", "26.9 c/kWh", "34.0 c/kWh", "−1.3 c/kWh"]);
    expect(watts(-1702.5)).toBe("−1.70 kW");
    expect(watts(NaN)).toBe("not measured");
  });

  it("times are local, with the day named when it is not today", () => {
    expect(when(T, T, 60)).toBe("18:30");
    expect(when(T + 12 * 3_600_000, T, 60)).toBe("tomorrow 06:30");
    expect(when(T - 24 * 3_600_000, T, 60)).toBe("yesterday 18:30");
    expect(when(T + 3 * 86_400_000, T, 60)).toBe("Sat 5 Dec 18:30");
  });

  it("a decision's reason loses ISO stamps, minor/kWh and load ids", () => {
    const names = new Map([["ev", "EV charger"], ["heatpump", "Heat pump"]]);
    const r = plainReason("cheapest window before the deadline 2026-12-03T05:30:00.000Z: mean 12.345 minor/kWh-equivalent; then heatpump at 20.10 ct/kWh", T, 60, names);
    expect(r).toBe("cheapest window before the deadline tomorrow 06:30: mean 12.3 c/kWh; then Heat pump at 20.1 c/kWh");
    expect(r).not.toMatch(/minor|\dT\d|Z\b/);
    expect(decisionWhat({ t: T, load: "ev", action: "off", reason: "", actor: "user" }, names)).toBe("EV charger switched off by you on the web page");
  });
});
