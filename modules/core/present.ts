import type { Decision } from "./household";

/**
 * Words and numbers as a household reads them, shared by the web page and the
 * display so both say the same thing: money with a real minus sign before the
 * currency ("−€0.13"), prices with one decimal ("26.8 c/kWh"), local times
 * ("14:00", "tomorrow 06:30") and decisions as sentences with load names.
 */

export const NOT_KNOWN = "not known yet";
const MINUS = "\u2212";

export function currencySign(currency: string): string {
  return currency === "EUR" ? "€" : currency === "USD" ? "$" : currency === "GBP" ? "£" : `${currency} `;
}

/** "€0.13", "−€0.13"; a value that is not a number reads "not known yet". */
export function money(minor: number | null | undefined, currency: string): string {
  if (minor === null || minor === undefined || !Number.isFinite(minor)) return NOT_KNOWN;
  const cents = Math.round(minor);
  const a = Math.abs(cents);
  return `${cents < 0 ? MINUS : ""}${currencySign(currency)}${Math.floor(a / 100)}.${String(a % 100).padStart(2, "0")}`;
}

/** "26.8 c/kWh" (one decimal, always). */
export function price(minorPerKWh: number | null | undefined): string {
  if (minorPerKWh === null || minorPerKWh === undefined || !Number.isFinite(minorPerKWh)) return NOT_KNOWN;
  return `${signed(minorPerKWh, 1)} c/kWh`;
}

/** A number with a real minus sign. */
export function signed(v: number, digits: number): string {
  const s = Math.abs(v).toFixed(digits);
  return v < 0 && Number(s) !== 0 ? MINUS + s : s;
}

export function watts(w: number | null | undefined): string {
  if (w === null || w === undefined || !Number.isFinite(w)) return "not measured";
  return Math.abs(w) >= 1000 ? `${signed(w / 1000, 2)} kW` : `${signed(Math.round(w), 0)} W`;
}

export function kwh(wh: number | null | undefined): string {
  return wh === null || wh === undefined || !Number.isFinite(wh) ? "not measured" : `${signed(wh / 1000, 2)} kWh`;
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** "HH:MM" at UTC + offsetMin. */
export function clockTime(t: number, offsetMin: number): string {
  const d = new Date(t + offsetMin * 60_000);
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}

const DAYS = Object.freeze(["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]);
const MONTHS = Object.freeze(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]);

/** Local day number (days since the epoch at UTC + offsetMin). */
export function localDay(t: number, offsetMin: number): number {
  return Math.floor((t + offsetMin * 60_000) / 86_400_000);
}

/** Start (ms, UTC) of the local day that holds t. */
export function localDayStart(t: number, offsetMin: number): number {
  return localDay(t, offsetMin) * 86_400_000 - offsetMin * 60_000;
}

/** "today", "tomorrow", "yesterday" or "Wed 3 Dec". */
export function dayName(t: number, now: number, offsetMin: number): string {
  const k = localDay(t, offsetMin) - localDay(now, offsetMin);
  if (k === 0) return "today";
  if (k === 1) return "tomorrow";
  if (k === -1) return "yesterday";
  const d = new Date(t + offsetMin * 60_000);
  return `${DAYS[d.getUTCDay()]} ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]}`;
}

/** "14:05" today, else "tomorrow 06:30" / "Wed 3 Dec 14:05". */
export function when(t: number, now: number, offsetMin: number): string {
  const day = dayName(t, now, offsetMin);
  return day === "today" ? clockTime(t, offsetMin) : `${day} ${clockTime(t, offsetMin)}`;
}

const ISO = /\b\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?Z/g;
const PRICE = /(-?\d+(?:\.\d+)?) ?(?:ct|minor|c)\/kWh(?:-equivalent)?/g;

/**
 * A control decision's reason in plain words: ISO stamps become local times,
 * "12.30 ct/kWh" and "minor/kWh-equivalent" become "12.3 c/kWh", load ids become names.
 */
export function plainReason(reason: string, now: number, offsetMin: number, names: ReadonlyMap<string, string>): string {
  let out = reason.replace(ISO, (s) => when(Date.parse(s), now, offsetMin)).replace(PRICE, (_, n: string) => price(Number(n)));
  for (const [id, name] of names) if (id !== name) out = out.replace(new RegExp(`\\b${id.replace(/[^\w]/g, "\\$&")}\\b`, "g"), name);
  return out;
}

const VERBS: Readonly<Record<Decision["action"], string>> = Object.freeze({
  on: "switched on", off: "switched off", schedule: "planned", shed: "switched off for a high price",
  restore: "switched back on", fallback: "started without a plan", keep: "left as it is",
  wait: "set to wait for prices", cancel: "plan cancelled",
});
const ACTORS: Readonly<Record<Decision["actor"], string>> = Object.freeze({
  policy: "by the price policy", user: "by you on the web page", cloud: "by the utility", display: "on the display",
});

/** "Oven switched off by you on the web page" (the what, without the reason). */
export function decisionWhat(d: Decision, names: ReadonlyMap<string, string>): string {
  return `${names.get(d.load) ?? d.load} ${VERBS[d.action] ?? d.action} ${ACTORS[d.actor] ?? d.actor}`;
}
