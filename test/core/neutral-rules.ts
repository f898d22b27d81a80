/**
 * The rules of the engine-neutral core as a function over source text.
 * Comments and string literals are blanked first, except import specifiers.
 */
const FORBIDDEN_GLOBALS: [RegExp, string][] = [
  [/\bBuffer\s*[.(]/, "uses Buffer"],
  [/\bprocess\s*\./, "uses process"],
  [/(?<![.\w])setTimeout\s*\(/, "calls setTimeout (use the Clock port)"],
  [/(?<![.\w])setInterval\s*\(/, "calls setInterval (use the Clock port)"],
  [/(?<![.\w])require\s*\(/, "calls require"],
];

/** Moddable's module names (not relative, not node:) that firmware would import. */
const MODDABLE = /^(embedded:|commodetto\/|piu\/|mc\/|pins\/|timer$|flash$|preference$|http$|mqtt$|net$|socket$|ota$|worker$|time$|instrumentation$|resource$|files$)/;
const NODE_BUILTINS = /^(node:|fs$|fs\/|net$|http$|https$|os$|path$|child_process$|crypto$|stream$|events$|url$|util$|zlib$|dgram$|tls$|worker_threads$|perf_hooks$|readline$|buffer$|process$|timers)/;

function blank(source: string): { code: string; specifiers: string[] } {
  const specifiers: string[] = [];
  const importRe = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(["'])([^"']+)\1/g;
  for (const m of source.matchAll(importRe)) specifiers.push(m[2]);
  const code = source
    .replace(/\/\*[\s\S]*?\*\//g, " ")
    .replace(/\/\/[^\n]*/g, " ")
    .replace(/`(?:\\[\s\S]|[^`\\])*`/g, "``")
    .replace(/"(?:\\.|[^"\\\n])*"/g, '""')
    .replace(/'(?:\\.|[^'\\\n])*'/g, "''");
  // Specifiers found only inside comments are not imports.
  const live = specifiers.filter((s) => {
    const uncommented = source.replace(/\/\*[\s\S]*?\*\//g, " ").replace(/\/\/[^\n]*/g, " ");
    return uncommented.includes(`"${s}"`) || uncommented.includes(`'${s}'`);
  });
  return { code, specifiers: live };
}

export function findViolations(source: string): string[] {
  const { code, specifiers } = blank(source);
  const found: string[] = [];
  for (const s of specifiers) {
    if (s.startsWith(".")) continue;
    if (NODE_BUILTINS.test(s)) found.push(`imports Node module ${s}`);
    else if (MODDABLE.test(s)) found.push(`imports Moddable module ${s}`);
    else found.push(`imports package ${s} (modules/ may import only modules/)`);
  }
  for (const [re, why] of FORBIDDEN_GLOBALS) if (re.test(code)) found.push(why);
  return found;
}
