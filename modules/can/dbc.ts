import { ALL_MESSAGES, MSG_SYNC, PQ10_STAMP, BROADCAST, PQ10_CODES, canId } from "./protocol";

/**
 * A DBC file describing the xsmeter messages for nodes 1..`nodes` (Vector
 * CANdb++ syntax; byte-aligned Intel signals):
 *   - each slave's data frame per quantity (value, freshness, MAC), and its
 *     sync frame (full freshness counter, MAC);
 *   - the master's broadcast requests: remote frames on (message, node 0),
 *     which carry no data (a DBC cannot mark a frame remote: said in comments);
 *   - GenMsgCycleTime: how often each frame appears (the poll period, once per
 *     10 min for the aggregate, 0 = on request for the sync);
 *   - the 10-min aggregate's stamp split into its two fields: the interval end
 *     (in 600 s units) and the flag, with value descriptions.
 * Every comment is plain ASCII, so tools reading the file as cp1252 show it right.
 */
export interface DbcOptions {
  /** The master's poll period (ms): the cycle time of the polled frames (default 1000). */
  pollPeriodMs?: number;
}

const PQ10_PERIOD_MS = 600_000;

export function buildDbc(nodes = 4, o: DbcOptions = {}): string {
  const poll = o.pollPeriodMs ?? 1000;
  const out: string[] = [];
  out.push('VERSION "xsmeter"', "", "NS_ :", "\tCM_", "\tBA_DEF_", "\tBA_", "\tVAL_", "\tBA_DEF_DEF_", "", "BS_:", "");
  const names = ["MASTER"];
  for (let n = 1; n <= nodes; n++) names.push(`SLAVE${n}`);
  out.push(`BU_: ${names.join(" ")}`, "");
  const comments: string[] = [
    'CM_ "xsmeter CAN protocol: 11-bit id = message << 6 | node; node 0 is the master. The master polls with remote frames to node 0; every slave answers with a data frame on (message, its node). Data bytes 0..3 value int32 LE in units of 10^scaler, byte 4 freshness (low 8 bits), bytes 5..7 MAC = AES-CMAC(node key, id16BE | bytes 0..3 | freshness32BE), first 24 bits.";',
  ];
  const cycles: string[] = [];
  const values: string[] = [];
  const pq10 = new Set(PQ10_CODES);
  // the master's broadcast requests, one per message
  for (const m of ALL_MESSAGES) {
    const id = canId(m.msg, BROADCAST);
    out.push(`BO_ ${id} REQ_${m.quantity.key.toUpperCase()}: 8 MASTER`, "");
    comments.push(`CM_ BO_ ${id} "Remote frame (RTR, no data) from the master: every slave, send ${ascii(m.quantity.name)} (${m.code}); each answers on id ${m.msg} << 6 | node.";`);
    cycles.push(`BA_ "GenMsgCycleTime" BO_ ${id} ${pq10.has(m.code) ? PQ10_PERIOD_MS : poll};`);
  }
  for (let n = 1; n <= nodes; n++) {
    for (const m of ALL_MESSAGES) {
      const q = m.quantity;
      const factor = 10 ** q.scale;
      const id = canId(m.msg, n);
      out.push(`BO_ ${id} ${q.key.toUpperCase()}_N${n}: 8 SLAVE${n}`);
      if (m.code === PQ10_STAMP) {
        // (interval end / 600 s) << 1 | flagged: two signals, so a tool shows the flag by itself
        out.push(` SG_ flagged : 0|1@1+ (1,0) [0|1] "" MASTER`);
        out.push(` SG_ interval_end : 1|31@1+ (600,0) [0|${fmt(2147483647 * 600)}] "s" MASTER`);
        values.push(`VAL_ ${id} flagged 0 "clean" 1 "dip, swell or interruption in the interval" ;`);
        comments.push(`CM_ SG_ ${id} interval_end "End of the 10-min interval the aggregate covers, seconds since 1970-01-01 UTC; 0 = no aggregate yet.";`);
      } else {
        out.push(` SG_ value : 0|32@1- (${fmt(factor)},0) [${fmt(-2147483648 * factor)}|${fmt(2147483647 * factor)}] "${ascii(q.unit)}" MASTER`);
      }
      out.push(` SG_ freshness : 32|8@1+ (1,0) [0|255] "" MASTER`);
      out.push(` SG_ mac : 40|24@1+ (1,0) [0|16777215] "" MASTER`);
      out.push("");
      comments.push(`CM_ BO_ ${id} "${ascii(`${q.code} ${q.name}, node ${n}; answer to REQ_${q.key.toUpperCase()}. MAC = AES-CMAC(node key, id | value | freshness32), first 3 bytes`)}";`);
      cycles.push(`BA_ "GenMsgCycleTime" BO_ ${id} ${pq10.has(m.code) ? PQ10_PERIOD_MS : poll};`);
    }
    const sync = canId(MSG_SYNC, n);
    out.push(`BO_ ${sync} SYNC_N${n}: 8 SLAVE${n}`);
    out.push(` SG_ freshness : 0|32@1+ (1,0) [0|4294967295] "" MASTER`);
    out.push(` SG_ mac : 32|32@1+ (1,0) [0|4294967295] "" MASTER`);
    out.push("");
    comments.push(`CM_ BO_ ${sync} "Freshness resynchronisation of node ${n}: the slave's full 32-bit counter and the first 4 bytes of AES-CMAC(node key, id16BE | freshness32BE | SYNC), sent when the master asks with a remote frame on this id.";`);
    cycles.push(`BA_ "GenMsgCycleTime" BO_ ${sync} 0;`);
  }
  out.push(...comments, "");
  out.push('BA_DEF_ BO_ "GenMsgCycleTime" INT 0 3600000;', 'BA_DEF_DEF_ "GenMsgCycleTime" 0;', "");
  out.push(...cycles, "");
  out.push(...values, "");
  return out.join("\n");
}

/** Typographic characters to their ASCII spelling; anything else outside ASCII becomes "?". */
function ascii(text: string): string {
  return text
    .replace(/\u2212|\u2013|\u2014/g, "-")
    .replace(/\u00d7/g, "x")
    .replace(/\u2016/g, "|")
    .replace(/\u2264/g, "<=")
    .replace(/\u2265/g, ">=")
    .replace(/\u00b0/g, " deg")
    .replace(/"/g, "'")
    .replace(/[^\x20-\x7e]/g, "?");
}

function fmt(x: number): string {
  return String(Number(x.toPrecision(12)));
}
