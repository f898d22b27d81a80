// A day of a small fleet as the ingest would have stored it (the items CloudLink's messages
// become): power and energy every 10 min, 10-min PQ aggregates with a flagged interval and a dip,
// status and firmware state per node. For the dashboard tests; the ingest itself is tested elsewhere.
import type { IngestItem } from "../../../hosts/headend/store/store";

export function fleetDay(now: number, nodes = ["north-01", "north-02", "south-01"], meters = [1, 2]): IngestItem[] {
  const items: IngestItem[] = [];
  const start = now - 86_400_000;
  nodes.forEach((node, ni) => {
    items.push({ kind: "status", node, online: ni !== 2, t: now - 60_000 });
    items.push({ kind: "firmware", node, t: start, running: ni === 1 ? "1.4.0" : "1.3.2", phase: "running", body: JSON.stringify({ boot: 3, running: ni === 1 ? "1.4.0" : "1.3.2", phase: "running" }) });
    for (const id of meters) {
      let seq = 0;
      let wh = 1_000_000 * (ni + 1) + id * 1000;
      for (let t = start - (start % 600_000) + 600_000; t <= now - 30_000; t += 600_000) {
        const hour = new Date(t).getUTCHours();
        const w = 300 + 900 * Math.max(0, Math.sin(((hour - 6) / 24) * 2 * Math.PI)) + 150 * id + 40 * ni;
        wh += w / 6;
        items.push({ kind: "reading", node, meterId: id, obis: "1-0:1.7.0", boot: 3, seq: ++seq, t, v: Math.round(w * 10) / 10, unit: "W" });
        items.push({ kind: "reading", node, meterId: id, obis: "1-0:1.8.0", boot: 3, seq: ++seq, t, v: Math.round(wh), unit: "Wh" });
        const dip = ni === 0 && id === 1 && Math.abs(t - (now - 6 * 3_600_000)) < 300_000;
        items.push({ kind: "pq", node, meterId: id, boot: 3, seq: ++seq, start: t - 600_000, end: t, flagged: dip, u: [229 + Math.sin(t / 4e6) * 2 - (dip ? 9 : 0)], i: [w / 230], p: [w], thdu: [2.1 + (hour % 5) * 0.2], thdi: [12], f: 50 + Math.sin(t / 3e6) * 0.03 });
        // as CloudLink publishes a PqEventView: {boot, seq, t, type, meterId, meters, phase, start, durationMs, extremeV, cell}
        const ev = (type: string, at: number, more: Record<string, unknown>) => ({ kind: "event" as const, node, meterId: id, boot: 3, seq: ++seq, t: at, type, body: JSON.stringify({ boot: 3, seq, t: at, type, meterId: id, meters: [id], phase: 1, start: at, ...more }) });
        if (dip) items.push(ev("dip", t - 200_000, { meters: [1, 2], durationMs: 120, extremeV: 150.4, cell: "70-40%/0.1-0.2s" }));
        if (dip) items.push(ev("swell", t - 100_000, { phase: 2, durationMs: 2_500, extremeV: 253.1, cell: "120-110%/0.5-5s" }));
        if (dip) items.push(ev("interruption", t - 50_000, { phase: 3, durationMs: 0, extremeV: null, cell: null, cellReason: "depth and duration not reported" }));
      }
      // the latest reading, 20 s ago (the meters publish every minute)
      items.push({ kind: "reading", node, meterId: id, obis: "1-0:1.7.0", boot: 3, seq: ++seq, t: now - 20_000, v: 420 + 100 * id + 10 * ni, unit: "W" });
      items.push({ kind: "reading", node, meterId: id, obis: "1-0:1.8.0", boot: 3, seq: ++seq, t: now - 20_000, v: Math.round(wh + 5), unit: "Wh" });
    }
  });
  return items;
}
