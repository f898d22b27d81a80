/**
 * What an operator may send, checked before anything is signed: the same shapes
 * CloudLink.apply accepts (modules/mqtt/cloud-link.ts), so a typo is refused
 * here with a clear message instead of coming back as a meter's error.
 */
import type { DownlinkKind } from "../store/store";
import { checkPriceTable } from "../../../modules/app/price-table";

export class CommandError extends Error {}

export const KINDS: readonly DownlinkKind[] = Object.freeze(["price", "load", "config", "firmware"] as DownlinkKind[]);

export function checkCommand(kind: string, body: Record<string, unknown>, now: number): Record<string, unknown> {
  switch (kind) {
    case "price": {
      // the meter's own check (modules/app/price-table), so what it would refuse never leaves
      const r = checkPriceTable(body.slots, now);
      if ("error" in r) throw new CommandError(r.error);
      return { slots: r.slots };
    }
    case "load":
      if (typeof body.id !== "string" || body.id === "") throw new CommandError("load: id (the load's name) is required");
      if (typeof body.on === "boolean") return { id: body.id, on: body.on };
      if (Number.isFinite(body.durationMs) && Number.isFinite(body.deadline)) return { id: body.id, durationMs: body.durationMs, deadline: body.deadline };
      throw new CommandError("load: give on (true/false), or durationMs and deadline");
    case "config":
      if (typeof body.config !== "object" || body.config === null || Array.isArray(body.config)) throw new CommandError("config: an object of settings is required");
      return { config: body.config };
    case "firmware":
      if (typeof body.version !== "string" || typeof body.url !== "string" || !Number.isSafeInteger(body.size) || typeof body.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(body.sha256)) {
        throw new CommandError("firmware: version, url, size (bytes) and sha256 (64 hex digits) are required");
      }
      if (!/^https?:\/\//.test(body.url)) throw new CommandError("firmware: url must be http(s)://");
      return { version: body.version, url: body.url, size: body.size, sha256: body.sha256 };
    default:
      throw new CommandError(`unknown command kind ${JSON.stringify(kind)} (price, load, config or firmware)`);
  }
}
