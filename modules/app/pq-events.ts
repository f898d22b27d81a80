/**
 * The power-quality events the aggregator sees in its slaves' answers: each
 * answer carries the meter's cumulative dip / swell / interruption counts (and
 * its latest event: type, phase, start, duration, residual or peak voltage); a
 * count that grew since the meter's previous answer is that many new events. A
 * meter's first answer only sets what was seen (its lifetime's events are not news).
 *
 * One supply event reaches every meter on the same supply: it is listed once
 * (`meters` says which meters saw it) and raised as one alarm. Its EN 50160
 * cell is computed from the reported residual voltage / nominal and duration;
 * an event whose depth and duration did not come with the answer (a link that
 * carries only the counts, or two events of a type inside one poll) keeps
 * `cell: null` with the reason, and counts as unclassified in the dip table.
 */
import type { Alarm, PqEventView } from "../core/household";
import { en50160Cell, en50160DipIndex, EN50160_DIP_COLS, EN50160_DIP_ROWS } from "../metrology/events";
import type { MeterReadings } from "./readings";

/** Events of one type and phase whose starts lie this close (ms) are one supply event. */
export const MERGE_WINDOW_MS = 2000;
/** Events kept for the page (oldest dropped first). */
export const EVENTS_KEPT = 200;

type EventType = PqEventView["type"];

const NO_DETAIL = "depth and duration not reported with this event (only its count arrived)";

/** Per meter: its dip table (rows × cols of EN 50160) and how many dips it saw that no cell holds. */
export interface DipCounts {
  table: number[][];
  unclassified: number;
}

interface Tracked {
  view: PqEventView;
  /** When the aggregator first heard of it (a count-only event's only time). */
  heardAt: number;
  /** Meters already counted in a dip table cell for this event. */
  counted: number[];
  /** Meters that counted it as unclassified (no depth yet): moved to the cell once it is known. */
  unclassifiedFor: number[];
}

export class PqEventLog {
  private readonly list: Tracked[] = [];
  private readonly seen = new Map<number, { dips: number; swells: number; interruptions: number }>();
  private readonly dips = new Map<number, DipCounts>();

  constructor(private readonly alarm: (a: Alarm) => void, private readonly nominalV = 230) {}

  /** Every supply event kept, oldest first, each once. */
  get events(): PqEventView[] {
    return this.list.map((e) => e.view);
  }

  /** Meter `id`'s EN 50160 dip table from the events it saw since this boot. */
  dipCounts(id: number): DipCounts {
    let d = this.dips.get(id);
    if (!d) {
      d = { table: EN50160_DIP_ROWS.map(() => EN50160_DIP_COLS.map(() => 0)), unclassified: 0 };
      this.dips.set(id, d);
    }
    return d;
  }

  /** Meter `id` answered `r` at `now`: its new events, each listed (or merged into the one it belongs to). */
  track(id: number, r: MeterReadings, now: number): void {
    const seen = this.seen.get(id) ?? { dips: r.dips, swells: r.swells, interruptions: r.interruptions };
    this.report(id, "dip", r.dips - seen.dips, r, now);
    this.report(id, "swell", r.swells - seen.swells, r, now);
    this.report(id, "interruption", r.interruptions - seen.interruptions, r, now);
    this.seen.set(id, { dips: r.dips, swells: r.swells, interruptions: r.interruptions });
  }

  private report(id: number, type: EventType, n: number, r: MeterReadings, now: number): void {
    if (!(n > 0)) return; // a counter that went back (meter restarted) is no event
    const e = r.lastEvent && r.lastEvent.type === type ? r.lastEvent : undefined;
    // The answer details only the meter's latest event: the earlier ones of this poll are count-only.
    for (let k = 0; k < n; k++) this.add(id, type, k === n - 1 ? e : undefined, now);
  }

  private add(id: number, type: EventType, e: MeterReadings["lastEvent"], now: number): void {
    const phase = e?.phase ?? 1;
    const start = e ? e.start : now;
    const same = this.find(type, phase, start, e !== undefined, now, id);
    if (same) {
      if (!same.view.meters.includes(id)) same.view.meters.push(id);
      if (e && same.view.cell === null) this.detail(same, e);
      this.count(same);
      return;
    }
    const view: PqEventView = { type, meterId: id, meters: [id], phase, start, durationMs: 0, extremeV: null, cell: null, cellReason: NO_DETAIL };
    const t: Tracked = { view, heardAt: now, counted: [], unclassifiedFor: [] };
    if (e) this.detail(t, e);
    this.list.push(t);
    if (this.list.length > EVENTS_KEPT) this.list.splice(0, this.list.length - EVENTS_KEPT);
    this.count(t);
    this.alarm({ t: now, kind: type, message: e ? `${type} to ${e.extremeV} V for ${e.durationMs} ms on L${phase} (meter ${id})` : `${type} seen by meter ${id}`, meterId: id });
  }

  /** The listed supply event this sighting belongs to: same type and phase, start within the merge window. */
  private find(type: EventType, phase: number, start: number, detailed: boolean, now: number, id: number): Tracked | undefined {
    for (let i = this.list.length - 1; i >= 0; i--) {
      const t = this.list[i];
      const v = t.view;
      if (now - t.heardAt > 60_000) break; // older than a minute: another event
      if (v.type !== type || v.phase !== phase || v.meters.includes(id)) continue;
      const ref = detailed && v.cell !== null ? v.start : t.heardAt;
      const at = detailed && v.cell !== null ? start : now;
      if (Math.abs(at - ref) <= MERGE_WINDOW_MS) return t;
    }
    return undefined;
  }

  private detail(t: Tracked, e: NonNullable<MeterReadings["lastEvent"]>): void {
    const v = t.view;
    v.start = e.start;
    v.durationMs = e.durationMs;
    v.extremeV = e.extremeV;
    v.phase = e.phase ?? v.phase;
    v.cell = en50160Cell(v.type, e.extremeV / this.nominalV, e.durationMs / 1000);
    delete v.cellReason;
  }

  /** Counts the event in the dip table of each meter that saw it (once per meter). */
  private count(t: Tracked): void {
    const v = t.view;
    if (v.type === "swell") return;
    for (const id of v.meters) {
      if (t.counted.includes(id)) continue;
      const d = this.dipCounts(id);
      if (v.cell === null || v.extremeV === null) {
        if (!t.unclassifiedFor.includes(id)) {
          d.unclassified++;
          t.unclassifiedFor.push(id);
        }
        continue;
      }
      if (t.unclassifiedFor.includes(id)) d.unclassified--;
      const { row, col } = en50160DipIndex(v.extremeV / this.nominalV, v.durationMs / 1000);
      d.table[row][col]++;
      t.counted.push(id);
    }
  }
}
