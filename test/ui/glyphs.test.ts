// Every string the display prints, on every screen at every size, in several households
// (the demo with alarms, one without, an empty one with nothing measured, a dialog open),
// must be drawable with its font: a missing glyph would show as "?" on the panel.
import { describe, expect, it } from "vitest";
import { HOUR } from "../../modules/core/clock";
import type { Household, HouseholdSnapshot } from "../../modules/core/household";
import { VirtualClock } from "../../modules/core/virtual-clock";
import { missingGlyphs } from "../../modules/ui/font";
import { SCREENS } from "../../modules/ui/display-app";
import { createDisplayMirror, demoDisplay, DISPLAY_SIZES, parseSize } from "../../hosts/node/ui/display-mirror";

function emptyHousehold(): { household: Household; clock: VirtualClock } {
  const clock = new VirtualClock(Date.UTC(2026, 11, 2, 9));
  const snap: HouseholdSnapshot = {
    t: clock.now(), meters: [], loads: [], prices: [],
    grid: { renewableAvailable: false, renewableShare: 0, cogenerator: "off", thermalDemandW: 0, pricesUpdatedAt: 0, pricesStale: true },
    bill: { currency: "EUR", from: clock.now() - HOUR, to: clock.now(), lines: [], totalMinor: -13, forecastMonthMinor: 4400 },
    energyTodayWh: NaN, exportTodayWh: NaN, tariffNow: { name: "utility table", importMinorPerKWh: NaN },
    decisions: [], events: [], alarms: [], tasks: [], quality: [], bus: { cycles: 0, framesOk: 0, authFailures: 0, missing: [], busLoadPct: 0, lastCycleMs: 0 },
  };
  const household: Household = { snapshot: () => snap, history: () => [], switchLoad: () => ({ ok: false, error: "no load" }), scheduleLoad: () => ({ ok: false, error: "no load" }), onChange: () => () => {} };
  return { household, clock };
}

describe("the display's fonts hold every glyph it prints", () => {
  it("every screen, every size, full and empty households, the load dialog", () => {
    const missing = new Map<string, string>();
    let strings = 0;
    const check = (where: string, texts: { text: string; font: { name: string } & Parameters<typeof missingGlyphs>[1] }[]) => {
      for (const { text, font } of texts) {
        strings++;
        const gone = missingGlyphs(text, font);
        if (gone.length) missing.set(`${font.name}: ${JSON.stringify(text)}`, `${gone.join("")} (${where})`);
      }
    };
    for (const sizeText of DISPLAY_SIZES) {
      const size = parseSize(sizeText);
      for (const setup of [() => demoDisplay(true), () => demoDisplay(false), emptyHousehold]) {
        const { household, clock } = setup();
        const m = createDisplayMirror(household, clock, size, 60);
        for (const screen of SCREENS) {
          m.app.show(screen);
          m.png();
          check(`${screen} ${sizeText}`, m.app.texts());
        }
        // the load dialog, before and after planning
        m.app.show("loads");
        m.png();
        const row = m.app.texts().find((x) => x.text === "EV charger" || x.text === "Washing machine");
        if (row) {
          m.touch(row.r.x + 5, row.r.y + row.r.h / 2, "long");
          m.png();
          check(`dialog ${sizeText}`, m.app.texts());
          const plan = m.app.texts().find((x) => x.text === "Plan 2 h")!;
          m.touch(plan.r.x + plan.r.w / 2, plan.r.y + plan.r.h / 2, "tap");
          m.png();
          check(`dialog after planning ${sizeText}`, m.app.texts());
        }
      }
    }
    expect(strings).toBeGreaterThan(500);
    expect([...missing].map(([k, v]) => `${k} misses ${v}`)).toEqual([]);
  });

  it("the check itself finds a glyph that is not there", () => {
    const { household, clock } = demoDisplay();
    const m = createDisplayMirror(household, clock);
    m.png();
    const font = m.app.texts()[0].font;
    expect(missingGlyphs("€0.13 · 5–6 −3 20°", font)).toEqual([]);
    expect(missingGlyphs("ok ✓ → ", font)).toEqual(["✓", "→"]);
  });
});
