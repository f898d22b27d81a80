// The flash torture run against the core record log and its single-record variant, with every
// store's own record shapes: random power cuts at any byte of any program or erase, a reboot
// after each, and after each reboot what the store reads back must be the last write that
// completed or the one that was cut — never an older one (loss), never one not yet written (a
// forward jump), never bytes that were not written (corruption).
import { BookingJournal, type Checkpoint } from "../../../modules/app/booking-journal";
import { PriceTableStore } from "../../../modules/app/price-store";
import type { PriceSlot } from "../../../modules/core/household";
import type { Flash } from "../../../modules/core/ports";
import { RecordLog } from "../../../modules/core/record-log";
import { CalibrationStore } from "../../../modules/metrology/calibration-store";
import { FlashCounterStore } from "../../../modules/secure/counter-store";
import { FlashOutbox } from "../../../modules/mqtt/flash-outbox";
import type { PhaseCalibration } from "../../../modules/metrology/calibration";
import { NorFlashSim, PowerCut } from "./nor-flash-sim";

/** One store's shape: how to write its n-th value, and which n (if any) it reads back. */
export interface LayerShape {
  readonly name: string;
  readonly sectors: number;
  /** Bytes a cut may fall within, counted from the start of a write (erase + program). */
  readonly span: number;
  /**
   * `run` is one object per torture run, the same at every reboot: where a shape keeps what the
   * test knows it wrote (never read by the store).
   */
  open(flash: Flash, run: object): { write(n: number): void; readBack(): number | undefined };
}

export interface LayerTortureResult {
  shape: string;
  cuts: number;
  writes: number;
  /** Reads that gave an older value than the last completed write. */
  lost: number;
  /** Reads that gave a value never written (beyond the write that was cut). */
  forwardJumps: number;
  /** Reads that gave nothing at all after the first completed write. */
  empty: number;
  /** Records accepted whose content is not what any write of theirs meant (readBack gave -1). */
  corruptAccepted: number;
  eraseCounts: number[];
}

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function tortureLayer(shape: LayerShape, opts: { cuts: number; seed: number }): LayerTortureResult {
  const sim = new NorFlashSim({ size: shape.sectors * 4096, seed: opts.seed });
  const random = rng(opts.seed * 7919 + 3);
  const r: LayerTortureResult = { shape: shape.name, cuts: 0, writes: 0, lost: 0, forwardJumps: 0, empty: 0, corruptAccepted: 0, eraseCounts: [] };
  let done = 0; // the last write that returned
  const run = {};
  let store = shape.open(sim, run);
  while (r.cuts < opts.cuts) {
    sim.cutAfterBytes(Math.floor(random() * shape.span * 4));
    try {
      for (;;) { store.write(done + 1); done++; r.writes++; }
    } catch (e) {
      if (!(e instanceof PowerCut)) throw e;
    }
    r.cuts++;
    sim.reboot();
    store = shape.open(sim, run);
    const got = store.readBack();
    if (got === undefined) { if (done > 0) r.empty++; continue; }
    if (got < 0) { r.corruptAccepted++; continue; }
    if (got < done) r.lost++;
    if (got > done + 1) r.forwardJumps++;
    done = Math.max(done, got); // the cut write survived: it is the newest now
  }
  r.eraseCounts = sim.eraseCounts();
  return r;
}

/** A value n spread over a payload so a torn or misplaced record cannot pass as another n. */
function fill(payload: Uint8Array, n: number): void {
  for (let i = 0; i < payload.length; i++) payload[i] = (n * 31 + i * 7) & 255;
  new DataView(payload.buffer, payload.byteOffset).setUint32(0, n, true);
}
function unfill(payload: Uint8Array): number | undefined {
  const n = new DataView(payload.buffer, payload.byteOffset).getUint32(0, true);
  for (let i = 4; i < payload.length; i++) if (payload[i] !== ((n * 31 + i * 7) & 255)) return undefined;
  return n;
}

/** The energy journal's shape: 128-byte records on 16 sectors (the layer itself: torture.ts). */
export function logShape(name: string, recordSize: number, sectors: number): LayerShape {
  return {
    name, sectors, span: 4096 + recordSize,
    open(flash) {
      const log = new RecordLog(flash, recordSize);
      const scan = log.open();
      const payload = new Uint8Array(log.payloadSize);
      return {
        write(n) { fill(payload, n); log.append(1, payload); },
        readBack: () => (scan.newest ? unfill(scan.newest.payload) ?? -1 : undefined),
      };
    },
  };
}

/** The booking journal: a checkpoint of 16 meters' counters in 256-byte records. */
export const BOOKING_SHAPE: LayerShape = {
  name: "booking journal (256 B checkpoints, 16 meters)", sectors: 8, span: 4096 + 256,
  open(flash) {
    const j = new BookingJournal(flash);
    const restored = j.restore();
    const checkpoint = (n: number): Checkpoint => ({
      t: n * 1000, open: { start: n * 900_000, importMwh: n * 3, exportMwh: n, importMinorPerKWh: 30.5, exportMinorPerKWh: 8 },
      closed: { importMwh: n * 40, exportMwh: n * 2, importMinor: n * 1.25, exportMinor: n * 0.5, first: 0 },
      counters: new Map(Array.from({ length: 16 }, (_, k) => [k + 1, { importMwh: n * 100 + k, exportMwh: n * 10 + k }])),
    });
    return {
      write(n) { j.write(checkpoint(n)); },
      readBack() {
        if (!restored) return undefined;
        const n = restored.newest.t / 1000;
        const c = checkpoint(n);
        const same = [...c.counters].every(([id, m]) => { const g = restored.newest.counters.get(id); return g && g.importMwh === m.importMwh && g.exportMwh === m.exportMwh; });
        return same && restored.newest.closed.importMwh === c.closed.importMwh ? n : -1;
      },
    };
  },
};

/** The calibration store: 3-phase XCAL records on two sectors. */
export const CALIBRATION_SHAPE: LayerShape = {
  name: "calibration store (XCAL, 3 phases)", sectors: 2, span: 4096 + 136,
  open(flash) {
    const store = new CalibrationStore(flash, 0);
    const cal = (n: number): PhaseCalibration[] => [0, 1, 2].map((p) => ({ u: { gain: 1 + n / 1e6, offset: p }, i: { gain: 0.5, offset: -n }, phaseDeg: n / 1000 }));
    return {
      write(n) { store.save(cal(n)); },
      readBack() {
        const got = store.load();
        if (!got) return undefined;
        const n = -got.phases[0].i.offset;
        return JSON.stringify(got.phases) === JSON.stringify(cal(n)) ? n : -1;
      },
    };
  },
};

/** The price store: a day of 96 quarter-hour slots (XPRC) on two halves of 3 sectors (the largest table fits one). */
export const PRICE_SHAPE: LayerShape = {
  name: "price store (XPRC, 96 slots)", sectors: 6, span: 3 * 4096 + 2332,
  open(flash) {
    const store = new PriceTableStore(flash);
    const day = (n: number): PriceSlot[] => Array.from({ length: 96 }, (_, i) => ({ start: n * 86_400_000 + i * 900_000, durationMs: 900_000, importMinorPerKWh: n + i / 100, exportMinorPerKWh: 8, renewableShare: 0.5 }));
    return {
      write(n) { store.save(day(n)); },
      readBack() {
        const got = store.load();
        if (!got) return undefined;
        const n = got[0].start / 86_400_000;
        return JSON.stringify(got) === JSON.stringify(day(n)) ? n : -1;
      },
    };
  },
};

/** The counter store: 40 CAN nodes' freshness counters beside the one being advanced, on two sectors. */
export const COUNTER_SHAPE: LayerShape = {
  name: "counter store (32 B records, 41 keys)", sectors: 2, span: 4096 + 32,
  open(flash) {
    const store = new FlashCounterStore(flash);
    return {
      write(n) {
        if (store.get(2) === undefined) for (let k = 2; k <= 41; k++) store.set(k, k * 1000);
        store.set(1, n);
      },
      readBack() {
        const n = store.get(1);
        if (n === undefined) return undefined;
        for (let k = 2; k <= 41; k++) if (store.get(k) !== k * 1000) return -1; // a key lost in a copy
        return n;
      },
    };
  },
};

/** What an outbox shape's runs met: cuts that fell in an acknowledgement's one-byte write, and how those read back. */
export interface OutboxCuts {
  inAck: number;
  /** Of those, the message read back waiting (the torn byte kept all its bits): sent again once. */
  ackBack: number;
  inAdd: number;
}

/** What the test knows of one run: messages whose add returned and ack did not, and the operation a cut interrupted. */
interface OutboxTruth {
  waiting: Set<number>;
  cut?: { m: number; op: "add" | "ack" };
}

/**
 * The MQTT outbox: write(n) acknowledges what a cut left waiting, adds message n (topic and
 * payload from n, 0..`maxPayload` bytes), then acknowledges the messages due at n. After each
 * reboot the outbox must hold exactly the messages whose add returned and whose ack did not, in
 * order, every byte as written; only the one message whose add or ack a cut interrupted may be
 * either way. readBack gives the newest message waiting, or -1 when that does not hold.
 */
export function outboxShape(name: string, sectors: number, o: { maxPayload: number; ackedAt: (m: number) => number; span: number; shortTopic?: boolean }): LayerShape & { cuts: OutboxCuts } {
  const topic = (m: number) => (o.shortTopic ? `${m}` : `xsmeter/t/meter/${m % 4}/${m}`);
  const payload = (m: number) => { const b = new Uint8Array((m * 37) % (o.maxPayload + 1)); for (let i = 0; i < b.length; i++) b[i] = (m * 13 + i) & 255; return b; };
  const runs = new WeakMap<object, OutboxTruth>();
  const cuts: OutboxCuts = { inAck: 0, ackBack: 0, inAdd: 0 };
  return {
    name, sectors, span: o.span, cuts,
    open(flash, run) {
      const truth = runs.get(run) ?? { waiting: new Set<number>() };
      runs.set(run, truth);
      const box = new FlashOutbox(flash);
      const ids = new Map<number, number>(); // message n → outbox id
      let bad = false;
      let last = 0;
      for (const id of box.ids()) {
        const e = box.get(id)!;
        const m = Number(e.topic.slice(e.topic.lastIndexOf("/") + 1));
        const want = payload(m);
        if (ids.has(m) || m < last || e.topic !== topic(m) || e.retain !== (m % 3 === 0) || e.payload.length !== want.length || e.payload.some((x, i) => x !== want[i])) bad = true;
        if (!truth.waiting.has(m) && truth.cut?.m !== m) bad = true; // acknowledged and back, or never added
        ids.set(m, id);
        last = m;
      }
      for (const m of truth.waiting) if (!ids.has(m) && truth.cut?.m !== m) bad = true; // waiting, lost
      if (truth.cut) {
        const { m, op } = truth.cut;
        if (op === "ack") { cuts.inAck++; if (ids.has(m)) cuts.ackBack++; } else cuts.inAdd++;
        if (ids.has(m)) truth.waiting.add(m); else truth.waiting.delete(m);
        truth.cut = undefined;
      }
      const ack = (m: number) => { truth.cut = { m, op: "ack" }; box.ack(ids.get(m)!); ids.delete(m); truth.waiting.delete(m); truth.cut = undefined; };
      const ackDue = (due: (at: number) => boolean) => { for (const m of [...ids.keys()]) if (due(o.ackedAt(m))) ack(m); };
      return {
        write(n) {
          ackDue((at) => at < n);
          if (!ids.has(n)) {
            truth.cut = { m: n, op: "add" };
            ids.set(n, box.add(topic(n), payload(n), n % 3 === 0));
            truth.waiting.add(n);
            truth.cut = undefined;
          }
          ackDue((at) => at === n);
        },
        readBack() {
          if (bad) return -1;
          return ids.size === 0 ? undefined : Math.max(...ids.keys());
        },
      };
    },
  };
}

/** Acknowledged 1..9 writes later, out of order; payloads up to 450 bytes, on 4 sectors. */
export const OUTBOX_SHAPE = outboxShape("MQTT outbox (messages of 0..450 B, acks out of order)", 4, {
  maxPayload: 450, ackedAt: (m) => m + 1 + (Math.imul(m, 0x9e3779b1) >>> 28) % 9, span: 4096 + 1024,
});

/** Acknowledged in bursts of 48 (a broker back after an outage: long runs of adds, then of acks), on 6 sectors. */
export const OUTBOX_BURST_SHAPE = outboxShape("MQTT outbox (acks in bursts of 48)", 6, {
  maxPayload: 60, ackedAt: (m) => (Math.floor(m / 48) + 1) * 48, span: 2 * 4096 + 48 * 128,
});

/** Messages of 0..3 bytes on a short topic, so that a cut falls in an acknowledgement's one-byte write often (1 byte of ~40). */
export const OUTBOX_ACK_SHAPE = outboxShape("MQTT outbox (tiny messages: cuts in the ack byte)", 4, {
  maxPayload: 3, ackedAt: (m) => m + 1 + (m % 3), span: 4096 + 1024, shortTopic: true,
});
