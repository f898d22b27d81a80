// bench:mcu role: one slave for MINUTES of virtual time — its simulated front end journaling
// energy on RAM flash and its CanSlave answering an authenticated poll every second (the polling
// CanMaster shares the machine: a small upper-bound error on the slave's figure).
import { VirtualClock } from "../../modules/core/virtual-clock";
import { MINUTE } from "../../modules/core/clock";
import { simCanNetwork, simNetworkKey } from "../../hosts/lin/can-network";
import { START, slaves } from "./role-common";

/** Two minutes, not ten: the emulator's real time per virtual minute keeps bench:mcu usable in CI. */
export const MINUTES = 2;

export function run(): unknown {
  const clock = new VirtualClock(START);
  const [slave] = slaves(clock, [1]);
  const { master } = simCanNetwork(clock, [slave], simNetworkKey(7));
  slave.start();
  let cycles = 0;
  const poll = () => master.pollCycle(() => cycles++);
  clock.every(1000, poll);
  clock.advance(MINUTES * MINUTE);
  return { minutes: MINUTES, cycles, accepted: master.stats.accepted, authFailures: master.stats.authFailures };
}
