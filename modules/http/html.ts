/** HTML helpers: escaping, number formats and the shared page layout. */

export function esc(s: string | number): string {
  return String(s).replace(/[&<>"']/g, (c) => (c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : c === '"' ? "&quot;" : "&#39;"));
}

export function watts(w: number): string {
  if (!isFinite(w)) return "–";
  return Math.abs(w) >= 1000 ? `${(w / 1000).toFixed(2)} kW` : `${Math.round(w)} W`;
}

export function kwh(wh: number): string {
  return isFinite(wh) ? `${(wh / 1000).toFixed(2)} kWh` : "–";
}

export function money(minor: number, currency: string): string {
  const sign = currency === "EUR" ? "€" : currency === "USD" ? "$" : currency === "GBP" ? "£" : `${currency} `;
  return `${sign}${(minor / 100).toFixed(2)}`;
}

/** "HH:MM" at the configured offset from UTC. */
export function clockTime(t: number, offsetMin: number): string {
  const d = new Date(t + offsetMin * 60_000);
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
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
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(title)} · xsmeter</title><link rel="stylesheet" href="/static/style.css"></head><body><header><b>⚡ xsmeter</b>${nav}<span style="margin-left:auto">${opts.user ? '<form class="inline" method="get" action="/settings"><span class="mut">signed in</span></form>' : '<a href="/login">Sign in</a>'}</span></header><main><h1>${esc(title)}</h1>${body}</main><footer>xsmeter — served by the meter</footer>${opts.live ? '<script src="/static/live.js" defer></script>' : ""}</body></html>`;
}
