/**
 * What the simulated utility reads from a meter's firmware reports after an
 * offer (utility.ts): confirmed, failed or rolled back. A report older than one
 * already seen — by its (boot, seq), modules/mqtt/report-order.ts — is passed
 * over: the meter's outbox may resend an old "running 1.0.0" after the trial's
 * "verified", and that is not a rollback.
 */
import { orderOf, supersedes, type ReportOrder } from "../../../modules/mqtt/report-order";

export type FollowedOutcome = "confirmed" | "failed" | "rolled back";

export class OfferFollower {
  readonly states: Record<string, unknown>[] = [];
  outcome?: FollowedOutcome;
  /** Reports passed over because a newer one had come. */
  older = 0;
  private held?: ReportOrder;
  private verified = false;
  /** Set once the offer is sent: reports before it (and retained ones) only set the order. */
  offered?: string;

  constructor(private readonly log: (line: string) => void = () => {}) {}

  report(body: Record<string, unknown>, retain: boolean): void {
    const order = orderOf(body);
    if (!supersedes(order, this.held)) {
      this.older++;
      this.log(`firmware (older than one seen, passed over) ${JSON.stringify(body)}`);
      return;
    }
    this.held = order ?? this.held; // a report without order (earlier firmware) is taken as it comes
    const version = this.offered;
    if (retain || version === undefined) return; // the state from before this offer
    this.states.push(body);
    this.log(`firmware ${JSON.stringify(body)}`);
    if (body.phase === "failed" && body.offered === version) this.outcome = "failed";
    if (body.phase === "verified" && body.offered === version) this.verified = true;
    if (body.phase === "confirmed" && body.running === version) this.outcome = "confirmed";
    // a trial that dies before confirming: the meter comes back on the old version
    if (this.verified && body.phase === "running" && body.running !== version) this.outcome = "rolled back";
  }
}
