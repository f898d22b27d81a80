// bench:mcu role: the aggregator for MINUTES of virtual time — CAN master polling three
// simulated slaves every second, booking, history, its display rendering (calls only). The three
// slaves share the machine (their own figure is role-slave's); web, MQTT and OTA are not in it.
import { VirtualClock } from "../../modules/core/virtual-clock";
import { MINUTE } from "../../modules/core/clock";
import { START, aggregator } from "./role-common";

/** One minute, not ten: the emulated Cortex-M3 runs ≈5 G instructions per virtual minute of this
 * role (3 slaves in the same machine), minutes of real time per virtual minute in CI. */
export const MINUTES = 1;

export function run(): unknown {
  const clock = new VirtualClock(START);
  const { app, master, canvas, ui } = aggregator(clock, [1, 2, 3]);
  clock.advance(MINUTES * MINUTE);
  const s = app.store.snapshot();
  return { minutes: MINUTES, online: s.meters.filter((m) => m.online).length, meters: s.meters.length, accepted: master.stats.accepted, renders: ui.renders, drawCalls: canvas.calls };
}
