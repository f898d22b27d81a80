// XS conformance for issue 14's HTTP rules: the /query clamp on a real HouseholdStore, CSV escaping,
// the Host/Origin checks, the attempt limiter, Auth's length cap and device cookies, setup codes —
// the same answers in XS as on Node, and the metered cost of the issue's 20,000-year query.
import { VirtualClock } from "../../../modules/core/virtual-clock";
import { MINUTE } from "../../../modules/core/clock";
import type { Random } from "../../../modules/core/ports";
import { DemoHousehold } from "../../../modules/app/demo-household";
import { csvLine, runQuery } from "../../../modules/http/query";
import { hostAllowed, sameOrigin } from "../../../modules/http/host-check";
import { AttemptLimiter } from "../../../modules/http/attempt-limiter";
import { Auth } from "../../../modules/http/auth";
import { SetupCode } from "../../../modules/http/setup-code";

/** A deterministic Random (LCG), so Node and XS make the same codes and salts. */
function lcg(seed: number): Random {
  let s = seed >>> 0;
  return { fill: (b) => { for (let i = 0; i < b.length; i++) b[i] = (s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 24; } };
}

function household(): { demo: DemoHousehold; clock: VirtualClock } {
  const clock = new VirtualClock(Date.UTC(2026, 2, 4, 12, 30));
  const demo = new DemoHousehold(clock);
  for (let t = 0; t < 30; t++) {
    clock.advance(MINUTE);
    demo.tick();
  }
  return { demo, clock };
}

function issueQuery(): unknown {
  const { demo, clock } = household();
  const q = new Map([["select", "[total.watts,meter:1.watts]"], ["begin", "y-9999y"], ["end", "y+9999y"], ["group", "all"]]);
  const r = runQuery(demo.store, q, clock.now());
  return typeof r === "string" ? r : { rows: r.rows.length, spanH: (r.end - r.begin) / 3_600_000, clamped: r.clamped };
}

export function run(): unknown {
  const clock = new VirtualClock(0);
  const lim = new AttemptLimiter({ clock, budget: { burst: 2, refillMs: 1000 } });
  const gates: unknown[] = [];
  for (let i = 0; i < 4; i++) {
    const g = lim.admit(`a${i % 2}`, true);
    gates.push(g.ok ? "ok" : `${g.why} ${g.waitMs}`);
    lim.failed(`a${i % 2}`);
  }
  const auth = new Auth({ clock, random: lcg(7), iterations: 3 });
  auth.setPassword("correct horse");
  const device = auth.issueDevice();
  const code = new SetupCode(lcg(9));
  return {
    query: issueQuery(),
    csv: csvLine(["=HYPERLINK(\"x\")", "-1", -1, "a,b", null]),
    hosts: ["192.168.1.20:80", "[fe80::1]", "localhost", "meter.local", "rebind.attacker.example", "a b"].map((h) => hostAllowed(h, ["meter.local"])),
    origins: [sameOrigin("10.0.0.2", "http://10.0.0.2", undefined), sameOrigin("10.0.0.2", "http://evil", undefined), sameOrigin("10.0.0.2", undefined, undefined)],
    gates,
    auth: [auth.verify("x".repeat(200), "b"), auth.verify("correct horse", "b"), auth.isDevice(device), auth.verify("correct horse", { address: "c", device })],
    code: [code.display, code.matches(code.code), code.matches("00000000")],
  };
}

export const probes = {
  /** The issue's query: bounded by the stored week, whatever was asked. */
  issueQuery,
};
