/**
 * CSV export (RFC 4180) that a spreadsheet cannot run: a text cell starting
 * with = + - @ or a tab/CR is prefixed with ' (OWASP's CSV injection advice),
 * every text cell is quoted, numbers are written by us from finite values.
 */
export type Cell = string | number | boolean | undefined;

export function csvCell(c: Cell): string {
  if (c === undefined) return "";
  if (typeof c === "number") return Number.isFinite(c) ? String(c) : "";
  if (typeof c === "boolean") return c ? "true" : "false";
  const safe = /^[=+\-@\t\r]/.test(c) ? `'${c}` : c;
  return `"${safe.replace(/"/g, '""')}"`;
}

export function csv(header: string[], rows: Cell[][]): string {
  return [header.map(csvCell), ...rows.map((r) => r.map(csvCell))].map((r) => r.join(",")).join("\r\n") + "\r\n";
}
