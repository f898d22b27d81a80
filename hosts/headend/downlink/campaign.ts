/**
 * Firmware campaigns, staged: the offer goes to a first group; only when every
 * meter there confirmed the new version does it go to the rest. Any refusal,
 * failure, rollback or silence past the deadline halts the campaign, and the
 * rest never get it. The state lives in the store, so a head-end restart
 * resumes where it was.
 */
import type { CampaignRow, HeadendStore } from "../store/store";
import type { DownlinkSender } from "./sender";

export type NodeOutcome = "pending" | "confirmed" | "refused" | "failed" | "rolled back" | "timeout";

export interface CampaignOptions {
  store: HeadendStore;
  sender: DownlinkSender;
  /** Time a meter has to confirm after its offer was sent (default 15 min). */
  confirmTimeoutMs?: number;
  now?: () => number;
}

export interface CampaignStatus {
  campaign: CampaignRow;
  nodes: { node: string; outcome: NodeOutcome; sentAt?: number }[];
}

export class Campaigns {
  private readonly now: () => number;

  constructor(private readonly o: CampaignOptions) {
    this.now = o.now ?? Date.now;
  }

  /** Starts one: offers `offer` (a checked firmware command) to the first group. */
  async start(offer: Record<string, unknown>, firstGroup: string[], rest: string[], by: string): Promise<CampaignRow> {
    if (firstGroup.length === 0) throw new Error("campaign: the first group is empty");
    const dup = firstGroup.find((n) => rest.includes(n));
    if (dup) throw new Error(`campaign: ${dup} is in both groups`);
    const c = await this.o.store.addCampaign({ version: String(offer.version), offer: JSON.stringify(offer), firstGroup, rest, state: "first-group", createdAt: this.now(), by });
    for (const node of firstGroup) await this.o.sender.send(node, "firmware", offer, by, c.id);
    return c;
  }

  /** Each node's outcome for the campaign, from its offer's result and its firmware reports. */
  async status(c: CampaignRow): Promise<CampaignStatus> {
    const sent = (await this.o.store.downlinks(undefined, 100_000)).filter((d) => d.campaign === c.id);
    const nodes: CampaignStatus["nodes"] = [];
    for (const node of [...c.firstGroup, ...c.rest]) {
      const d = sent.find((x) => x.node === node);
      if (!d) { nodes.push({ node, outcome: "pending" }); continue; }
      nodes.push({ node, outcome: await this.outcome(node, c.version, d), sentAt: d.sentAt });
    }
    return { campaign: c, nodes };
  }

  private async outcome(node: string, version: string, d: { sentAt: number; ok?: boolean }): Promise<NodeOutcome> {
    if (d.ok === false) return "refused";
    let verified = false;
    for (const r of await this.o.store.firmwareSince(node, d.sentAt)) {
      const b = JSON.parse(r.body) as Record<string, unknown>;
      if (r.phase === "failed" && b.offered === version) return "failed";
      if (r.phase === "verified" && b.offered === version) verified = true;
      if (r.phase === "confirmed" && r.running === version) return "confirmed";
      if (verified && r.phase === "running" && r.running !== version) return "rolled back";
    }
    return this.now() - d.sentAt > (this.o.confirmTimeoutMs ?? 15 * 60_000) ? "timeout" : "pending";
  }

  /** Moves every running campaign on: halt on a bad outcome, release the rest when the first group confirmed. */
  async tick(): Promise<void> {
    for (const c of await this.o.store.campaigns()) {
      if (c.state !== "first-group" && c.state !== "rest") continue;
      const s = await this.status(c);
      const group = c.state === "first-group" ? c.firstGroup : c.rest;
      const mine = s.nodes.filter((n) => group.includes(n.node));
      const bad = mine.find((n) => n.outcome !== "pending" && n.outcome !== "confirmed");
      if (bad) {
        await this.o.store.updateCampaign(c.id, "halted", `${bad.node}: ${bad.outcome}${c.state === "first-group" ? "; the rest were not offered it" : ""}`);
        continue;
      }
      if (!mine.every((n) => n.outcome === "confirmed")) continue;
      if (c.state === "first-group" && c.rest.length) {
        await this.o.store.updateCampaign(c.id, "rest");
        const offer = JSON.parse(c.offer) as Record<string, unknown>;
        for (const node of c.rest) await this.o.sender.send(node, "firmware", offer, c.by, c.id);
      } else {
        await this.o.store.updateCampaign(c.id, "done");
      }
    }
  }
}
