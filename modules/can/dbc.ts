import { ALL_MESSAGES, MSG_SYNC, canId } from "./protocol";

/**
 * A DBC file describing the xsmeter messages for nodes 1..`nodes`
 * (Vector CANdb++ syntax; byte-aligned Intel signals).
 */
export function buildDbc(nodes = 4): string {
  const out: string[] = [];
  out.push('VERSION "xsmeter"', "", "NS_ :", "", "BS_:", "");
  const names = ["MASTER"];
  for (let n = 1; n <= nodes; n++) names.push(`SLAVE${n}`);
  out.push(`BU_: ${names.join(" ")}`, "");
  const comments: string[] = [];
  for (let n = 1; n <= nodes; n++) {
    for (const m of ALL_MESSAGES) {
      const q = m.quantity;
      const factor = 10 ** q.scale;
      const name = `${q.key.toUpperCase()}_N${n}`;
      out.push(`BO_ ${canId(m.msg, n)} ${name}: 8 SLAVE${n}`);
      out.push(` SG_ value : 0|32@1- (${fmt(factor)},0) [${fmt(-2147483648 * factor)}|${fmt(2147483647 * factor)}] "${q.unit}" MASTER`);
      out.push(` SG_ freshness : 32|8@1+ (1,0) [0|255] "" MASTER`);
      out.push(` SG_ mac : 40|24@1+ (1,0) [0|16777215] "" MASTER`);
      out.push("");
      comments.push(`CM_ BO_ ${canId(m.msg, n)} "${q.code} ${q.name}, node ${n}; MAC = AES-CMAC(node key, id|value|freshness32)[0..3)";`);
    }
    out.push(`BO_ ${canId(MSG_SYNC, n)} SYNC_N${n}: 8 SLAVE${n}`);
    out.push(` SG_ freshness : 0|32@1+ (1,0) [0|4294967295] "" MASTER`);
    out.push(` SG_ mac : 32|32@1+ (1,0) [0|4294967295] "" MASTER`);
    out.push("");
  }
  out.push(...comments, "");
  return out.join("\n");
}

function fmt(x: number): string {
  return String(Number(x.toPrecision(12)));
}
