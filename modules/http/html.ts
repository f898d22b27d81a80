/** HTML helpers: escaping, the shared number formats and the page layout. */
import { clockTime, kwh, money, price, watts } from "../core/present";

export { clockTime, kwh, money, price, watts };

export function esc(s: string | number): string {
  return String(s).replace(/[&<>"']/g, (c) => (c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : c === '"' ? "&quot;" : "&#39;"));
}

export function dateTime(t: number, offsetMin: number): string {
  const d = new Date(t + offsetMin * 60_000);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** Frozen (and each entry): a preloaded module's constant table then stays in flash, not copied to RAM. */
export const NAV: readonly (readonly [string, string])[] = Object.freeze(
  ([
    ["/", "Dashboard"],
    ["/energy", "Energy"],
    ["/prices", "Prices"],
    ["/control", "Control"],
    ["/quality", "Quality"],
    ["/settings", "Settings"],
  ] as [string, string][]).map((entry) => Object.freeze(entry)),
);

/** The page frame: small, no external resources, one stylesheet, optional live script. */
export function layout(title: string, active: string, body: string, opts: { live?: boolean; display?: boolean; user?: boolean } = {}): string {
  const nav = [...NAV, ...(opts.display ? ([["/display", "Display"]] as const) : [])]
    .map(([href, label]) => `<a href="${href}"${href === active ? ' class="on"' : ""}>${label}</a>`)
    .join("");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(title)} · xsmeter</title><link rel="stylesheet" href="/static/style.css"></head><body><header><b>⚡ xsmeter</b><nav>${nav}</nav><span class="who">${opts.user ? '<span class="mut">signed in</span>' : '<a href="/login">Sign in</a>'}</span></header><main><h1>${esc(title)}</h1>${body}</main><footer>xsmeter — served by the meter</footer>${opts.live ? '<script src="/static/live.js" defer></script>' : ""}</body></html>`;
}
