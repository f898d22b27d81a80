/**
 * The alarm for rejected CAN frames, rate-limited: a flood of forged frames
 * must not push every other alarm out of the household's list (it keeps 500).
 * At most `burst` alarms at once, then one per `intervalMs`; the next alarm
 * raised says how many rejections were not raised on their own.
 */
import type { Clock } from "../core/clock";
import type { Alarm } from "../core/household";
import { TokenBucket } from "../core/token-bucket";

export function authFailureAlarms(raise: (a: Alarm) => void, clock: Clock, burst = 5, intervalMs = 60_000): (id: number, reason: string) => void {
  const bucket = new TokenBucket(burst, intervalMs, clock.now());
  let quiet = 0;
  return (id, reason) => {
    if (!bucket.take(clock.now())) {
      quiet++;
      return;
    }
    const more = quiet ? ` (and ${quiet} more rejected frames since the last alarm)` : "";
    quiet = 0;
    raise({ t: clock.now(), kind: "auth", message: `CAN frame 0x${id.toString(16)} rejected: ${reason}${more}`, meterId: id & 63 });
  };
}
