import type { CanFrame } from "../../../modules/can/can-port";
import { frameProblem } from "../../../modules/can/can-port";
import { fromHex, toHex } from "../../../modules/core/bytes";

/**
 * candump log format (can-utils `candump -l`, read by python-can and canplayer):
 *   (1436509053.850870) can0 123#DEADBEEF
 * remote frames `123#R` (or `123#R8` with a DLC), standard ids 3 hex digits,
 * extended 8. The time stamp is the end of the frame (end of EOF), in seconds
 * with microseconds.
 */
export interface LoggedFrame {
  timeMs: number;
  iface: string;
  frame: CanFrame;
}

export function formatCandumpLine(timeMs: number, frame: CanFrame, iface = "can0"): string {
  const micros = Math.round(timeMs * 1000);
  const secs = Math.floor(micros / 1e6);
  const frac = String(micros - secs * 1e6).padStart(6, "0");
  const id = frame.id.toString(16).toUpperCase().padStart(frame.extended ? 8 : 3, "0");
  const body = frame.rtr ? (frame.dlc ? `R${frame.dlc}` : "R") : toHex(frame.data).toUpperCase();
  return `(${secs}.${frac}) ${iface} ${id}#${body}`;
}

const LINE = /^\((\d+)\.(\d{6})\)\s+(\S+)\s+([0-9A-Fa-f]{3}|[0-9A-Fa-f]{8})#(R\d?|[0-9A-Fa-f]*)$/;

/** Parses one line; throws a clear error on a malformed one. */
export function parseCandumpLine(line: string, lineNo = 1): LoggedFrame {
  const m = LINE.exec(line.trim());
  if (!m) throw new SyntaxError(`candump line ${lineNo}: not "(sec.usec) iface id#data": ${JSON.stringify(line.slice(0, 60))}`);
  const [, s, us, iface, idHex, body] = m;
  const extended = idHex.length === 8;
  const id = parseInt(idHex, 16);
  let frame: CanFrame;
  if (body.startsWith("R")) frame = { id, extended, rtr: true, dlc: body.length > 1 ? +body.slice(1) : 0, data: new Uint8Array(0) };
  else {
    if (body.length % 2) throw new SyntaxError(`candump line ${lineNo}: odd number of hex digits`);
    const data = fromHex(body);
    frame = { id, extended, rtr: false, dlc: data.length, data };
  }
  const problem = frameProblem(frame);
  if (problem) throw new SyntaxError(`candump line ${lineNo}: ${problem}`);
  return { timeMs: (+s * 1e6 + +us) / 1000, iface, frame };
}

export function readCandump(text: string): LoggedFrame[] {
  const out: LoggedFrame[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim()) out.push(parseCandumpLine(line, i + 1));
  });
  return out;
}

export class CandumpWriter {
  readonly lines: string[] = [];
  constructor(readonly iface = "can0") {}
  add(timeMs: number, frame: CanFrame): void {
    this.lines.push(formatCandumpLine(timeMs, frame, this.iface));
  }
  text(): string {
    return this.lines.length ? this.lines.join("\n") + "\n" : "";
  }
}
