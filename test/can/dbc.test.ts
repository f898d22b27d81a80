// `xsmeter can dbc` checked by a strict DBC parser written here from the DBC grammar
// (Vector "DBC File Format Documentation": VERSION, NS_, BS_, BU_, BO_/SG_, CM_,
// BA_DEF_/BA_DEF_DEF_/BA_, VAL_): every statement must parse, every name be a
// C identifier, every reference resolve, every signal fit its frame without overlap,
// every attribute be defined and in range, and every byte be printable ASCII (what a
// cp1252 reader shows as written). Then what the file says: the remote-frame requests,
// the cycle times, and the 10-min stamp's flag decoded from a real frame's bytes.
import { describe, expect, it } from "vitest";
import { buildDbc } from "../../modules/can/dbc";
import { ALL_MESSAGES, BROADCAST, PQ10_STAMP, canId, encodePq10Stamp, MSG_SYNC } from "../../modules/can/protocol";

interface Signal { name: string; start: number; size: number; intel: boolean; signed: boolean; factor: number; offset: number; min: number; max: number; unit: string; receivers: string[] }
interface Message { id: number; name: string; dlc: number; sender: string; signals: Signal[] }
interface Dbc { version: string; nodes: string[]; messages: Map<number, Message>; comments: string[]; attrDefs: Map<string, { scope: string; min: number; max: number }>; attrDefaults: Map<string, number>; attrs: { name: string; scope: string; target: number; value: number }[]; values: { id: number; signal: string; table: Map<number, string> }[] }

const IDENT = "[A-Za-z_][A-Za-z0-9_]*";
const NUM = "[-+]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][-+]?\\d+)?";
const STR = '"([^"]*)"';

/** Parses `text` strictly; throws naming the line of the first thing the grammar does not allow. */
function parseDbc(text: string): Dbc {
  for (let k = 0; k < text.length; k++) {
    const c = text.charCodeAt(k);
    if (!(c === 10 || c === 9 || c === 13 || (c >= 0x20 && c <= 0x7e))) throw new Error(`byte ${k}: 0x${c.toString(16)} is not printable ASCII (cp1252 readers would garble it)`);
  }
  const lines = text.split("\n");
  const dbc: Dbc = { version: "", nodes: [], messages: new Map(), comments: [], attrDefs: new Map(), attrDefaults: new Map(), attrs: [], values: [] };
  let msg: Message | undefined;
  let inNs = false;
  const fail = (ln: number, why: string): never => { throw new Error(`line ${ln + 1}: ${why}: ${JSON.stringify(lines[ln])}`); };
  for (let ln = 0; ln < lines.length; ln++) {
    const line = lines[ln];
    let m: RegExpExecArray | null;
    if (inNs) {
      if (/^\t[A-Z_]+$/.test(line)) continue;
      inNs = false;
    }
    if (line.trim() === "") { msg = undefined; continue; }
    if ((m = new RegExp(`^VERSION ${STR}$`).exec(line))) { dbc.version = m[1]; continue; }
    if (line === "NS_ :") { inNs = true; continue; }
    if (/^BS_:( \d+:\d+,\d+)?$/.test(line)) continue;
    if ((m = new RegExp(`^BU_:((?: ${IDENT})*)$`).exec(line))) { dbc.nodes = m[1].trim().split(" "); continue; }
    if ((m = new RegExp(`^BO_ (\\d+) (${IDENT}): (\\d+) (${IDENT})$`).exec(line))) {
      const id = Number(m[1]), dlc = Number(m[3]);
      if (id > 0x7ff) fail(ln, "standard id above 0x7FF");
      if (dlc > 8) fail(ln, "DLC above 8");
      if (dbc.messages.has(id)) fail(ln, `id ${id} twice`);
      if (!dbc.nodes.includes(m[4])) fail(ln, `sender ${m[4]} is not in BU_`);
      if ([...dbc.messages.values()].some((x) => x.name === m![2])) fail(ln, `message name ${m[2]} twice`);
      msg = { id, name: m[2], dlc, sender: m[4], signals: [] };
      dbc.messages.set(id, msg);
      continue;
    }
    if ((m = new RegExp(`^ SG_ (${IDENT}) : (\\d+)\\|(\\d+)@([01])([+-]) \\((${NUM}),(${NUM})\\) \\[(${NUM})\\|(${NUM})\\] ${STR} (${IDENT}(?:,${IDENT})*)$`).exec(line))) {
      if (!msg) fail(ln, "SG_ outside a BO_");
      const s: Signal = { name: m[1], start: +m[2], size: +m[3], intel: m[4] === "1", signed: m[5] === "-", factor: +m[6], offset: +m[7], min: +m[8], max: +m[9], unit: m[10], receivers: m[11].split(",") };
      if (s.size < 1 || s.size > 64) fail(ln, "signal size");
      if (!s.intel) fail(ln, "Motorola order (this protocol is Intel)");
      if (s.start + s.size > msg!.dlc * 8) fail(ln, `signal beyond the ${msg!.dlc}-byte frame`);
      for (const o of msg!.signals) if (s.start < o.start + o.size && o.start < s.start + s.size) fail(ln, `overlaps ${o.name}`);
      if (msg!.signals.some((o) => o.name === s.name)) fail(ln, `signal ${s.name} twice`);
      if (s.min > s.max) fail(ln, "min above max");
      for (const r of s.receivers) if (!dbc.nodes.includes(r)) fail(ln, `receiver ${r} is not in BU_`);
      msg!.signals.push(s);
      continue;
    }
    if ((m = new RegExp(`^CM_ (?:(BO_) (\\d+) |(SG_) (\\d+) (${IDENT}) |(BU_) (${IDENT}) )?${STR};$`).exec(line))) {
      if (m[1] && !dbc.messages.has(+m[2])) fail(ln, `comment on unknown message ${m[2]}`);
      if (m[3] && !dbc.messages.get(+m[4])?.signals.some((s) => s.name === m![5])) fail(ln, `comment on unknown signal ${m[4]} ${m[5]}`);
      dbc.comments.push(m[8]);
      continue;
    }
    if ((m = new RegExp(`^BA_DEF_ (BU_ |BO_ |SG_ )?${STR} INT (${NUM}) (${NUM});$`).exec(line))) { dbc.attrDefs.set(m[2], { scope: (m[1] ?? "").trim(), min: +m[3], max: +m[4] }); continue; }
    if ((m = new RegExp(`^BA_DEF_DEF_ ${STR} (${NUM});$`).exec(line))) {
      const d = dbc.attrDefs.get(m[1]);
      if (!d) fail(ln, `default for undefined attribute ${m[1]}`);
      if (+m[2] < d!.min || +m[2] > d!.max) fail(ln, "default out of range");
      dbc.attrDefaults.set(m[1], +m[2]);
      continue;
    }
    if ((m = new RegExp(`^BA_ ${STR} BO_ (\\d+) (${NUM});$`).exec(line))) { dbc.attrs.push({ name: m[1], scope: "BO_", target: +m[2], value: +m[3] }); continue; }
    if ((m = new RegExp(`^VAL_ (\\d+) (${IDENT})((?: ${NUM} ${STR})+) ;$`).exec(line))) {
      const table = new Map<number, string>();
      for (const x of m[3].matchAll(new RegExp(` (${NUM}) ${STR}`, "g"))) table.set(+x[1], x[2]);
      if (!dbc.messages.get(+m[1])?.signals.some((s) => s.name === m![2])) fail(ln, `value table for unknown signal ${m[1]} ${m[2]}`);
      dbc.values.push({ id: +m[1], signal: m[2], table });
      continue;
    }
    fail(ln, "not a DBC statement");
  }
  // attributes are checked once all definitions are read (BA_ may come before BA_DEF_ in a file)
  for (const a of dbc.attrs) {
    const d = dbc.attrDefs.get(a.name);
    if (!d) throw new Error(`BA_ ${a.name}: attribute not defined by BA_DEF_`);
    if (d.scope !== a.scope) throw new Error(`BA_ ${a.name}: defined for ${d.scope || "the network"}, set on ${a.scope}`);
    if (!dbc.messages.has(a.target)) throw new Error(`BA_ ${a.name}: unknown message ${a.target}`);
    if (a.value < d.min || a.value > d.max) throw new Error(`BA_ ${a.name} ${a.target}: ${a.value} out of ${d.min}..${d.max}`);
  }
  return dbc;
}

/** Intel, unsigned/signed, from 8 bytes. */
function decode(s: Signal, data: Uint8Array): number {
  let raw = 0n;
  for (let b = 0; b < 8; b++) raw |= BigInt(data[b]) << BigInt(8 * b);
  let v = (raw >> BigInt(s.start)) & ((1n << BigInt(s.size)) - 1n);
  if (s.signed && v >> BigInt(s.size - 1)) v -= 1n << BigInt(s.size);
  return Number(v) * s.factor + s.offset;
}

describe("xsmeter can dbc against the DBC grammar", () => {
  it("the parser refuses what the grammar does not allow (it can fail)", () => {
    const good = buildDbc(1);
    expect(() => parseDbc(good)).not.toThrow();
    expect(() => parseDbc(good.replace("Active energy import", "Active \u2212 energy import"))).toThrow(/not printable ASCII/);
    expect(() => parseDbc(good.replace(" SG_ freshness : 32|8@1+", " SG_ freshness : 28|8@1+"))).toThrow(/overlaps value/);
    expect(() => parseDbc(good.replace('BA_DEF_DEF_ "GenMsgCycleTime"', 'BA_DEF_DEFX "GenMsgCycleTime"'))).toThrow(/not a DBC statement/);
    expect(() => parseDbc(good.replace('BA_DEF_ BO_ "GenMsgCycleTime" INT 0 3600000;', ""))).toThrow(/default for undefined attribute GenMsgCycleTime/);
    expect(() => parseDbc(good.replace(": 8 SLAVE1", ": 8 SLAVE9"))).toThrow(/not in BU_/);
  });

  it("parses strictly for 1, 4 and 63 nodes, every comment plain ASCII", () => {
    for (const n of [1, 4, 63]) {
      const dbc = parseDbc(buildDbc(n));
      expect(dbc.messages.size).toBe(ALL_MESSAGES.length + n * (ALL_MESSAGES.length + 1));
      expect(dbc.nodes).toHaveLength(n + 1);
      for (const c of dbc.comments) expect(c).toMatch(/^[\x20-\x7e]*$/);
    }
  });

  it("describes the remote-frame requests and every frame's cycle time", () => {
    const dbc = parseDbc(buildDbc(2, { pollPeriodMs: 1000 }));
    const text = buildDbc(2);
    for (const m of ALL_MESSAGES) {
      const req = dbc.messages.get(canId(m.msg, BROADCAST))!;
      expect(req.sender).toBe("MASTER");
      expect(req.signals).toEqual([]);
      expect(text).toMatch(new RegExp(`CM_ BO_ ${req.id} "Remote frame \\(RTR, no data\\) from the master`));
    }
    const cycle = new Map(dbc.attrs.filter((a) => a.name === "GenMsgCycleTime").map((a) => [a.target, a.value]));
    for (const id of dbc.messages.keys()) expect(cycle.has(id), `cycle time of ${id}`).toBe(true);
    const volt = ALL_MESSAGES.find((m) => m.code === "1-0:32.7.0")!, volt10 = ALL_MESSAGES.find((m) => m.code === "1-0:32.5.0")!;
    expect(cycle.get(canId(volt.msg, 1))).toBe(1000);
    expect(cycle.get(canId(volt10.msg, 1))).toBe(600_000);
    expect(cycle.get(canId(MSG_SYNC, 2))).toBe(0);
    expect(dbc.attrDefaults.get("GenMsgCycleTime")).toBe(0);
  });

  it("the 10-min stamp's flag is its own signal: a real frame's bytes decode to the interval end and the flag", () => {
    const dbc = parseDbc(buildDbc(1));
    const stamp = ALL_MESSAGES.find((m) => m.code === PQ10_STAMP)!;
    const msg = dbc.messages.get(canId(stamp.msg, 1))!;
    const flagged = msg.signals.find((s) => s.name === "flagged")!, end = msg.signals.find((s) => s.name === "interval_end")!;
    const endMs = Date.UTC(2026, 2, 20, 10, 10);
    for (const f of [true, false]) {
      const data = new Uint8Array(8);
      new DataView(data.buffer).setInt32(0, encodePq10Stamp(endMs, f), true); // bytes 0..3 as the slave sends them
      expect(decode(flagged, data)).toBe(f ? 1 : 0);
      expect(decode(end, data)).toBe(endMs / 1000);
    }
    expect(dbc.values.find((v) => v.id === msg.id && v.signal === "flagged")!.table.get(1)).toMatch(/dip, swell or interruption/);
  });
});
