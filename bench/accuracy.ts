/**
 * npm run bench:accuracy — the reference paper's protocol (REFERENCES §1): random
 * draws over its ranges, ≥200 sinusoidal and ≥200 non-sinusoidal cases at 6.4 and
 * 10 kS/s, 12-bit quantisation of the transducer full scale (±460√2 V, ±30√2 A)
 * plus white noise (σ = 0.5 LSB), one 10-cycle window per case (the 2nd of the run).
 * Truth is computed from the definitions of the drawn signal. Prints our RMS
 * error beside the paper's Table 1; goal: ≤ half the paper's figure.
 *
 * Besides the standard rows, three diagnostic rows for active power (not goals):
 *  - "P oracle (noise floor)": P from the SAME quantised, noisy samples over the exact
 *    true window (exact 10/f length from the known f; start at our window's start, so
 *    the same samples), integrated by an independent trapezoid here. No estimator
 *    working from these samples can do systematically better: it is the ADC's share.
 *  - "P oracle clean": the same over the unquantised, noise-free samples (the
 *    integration rule's own error; ≈0).
 *  - "P noise theory": the σ the oracle should show, from σ² = (σu²·I² + σi²·U²)/N.
 *  - "P ours − oracle": our estimator's own error (sync, window boundary, end
 *    corrections) with the ADC noise taken out, relative and as a share of S.
 *  - "P, |PF| ≥ 0.05" / "P (% of S)": the relative error is heavy-tailed where P ≈ 0
 *    (φ near π/2 plus harmonic powers of either sign put P = 0 inside the drawn range),
 *    so these show it without the P ≈ 0 draws and as a share of S.
 * Options: --seed N (default 20261121), --cases N (≥ 200), --verbose (worst cases),
 * --seeds K (the active-power rows' spread over K consecutive seeds), --json.
 */
import { MeterPipeline } from "../modules/metrology/meter";
import type { WindowRecord } from "../modules/metrology/records";

type Paper = [number | null, number | null, string];
const PAPER: Record<string, Paper> = {
  "voltage RMS": [0.03, 0.04, "%"], "current RMS": [0.03, 0.04, "%"], frequency: [0.67, 0.67, "mHz"],
  "active power": [0.043, 0.061, "%"], "apparent power": [0.13, 0.15, "%"], "power factor": [0.002, 0.002, "p.u."],
  "non-active power": [0.6, 0.62, "% of S"], "voltage THD": [null, 0.072, "points"], "current THD": [null, 0.07, "points"],
};
// Diagnostic rows (no goal): see the header comment.
const INFO: Record<string, string> = {
  "P oracle (noise floor)": "%", "P oracle clean": "%", "P, |PF| >= 0.05": "%", "P oracle, |PF| >= 0.05": "%", "P (% of S)": "% of S", "P oracle (% of S)": "% of S",
  "P ours − oracle": "%", "P ours − oracle (% of S)": "% of S", "P noise theory (% of S)": "% of S",
};
const LSB_U = (920 * Math.SQRT2) / 4096, LSB_I = (60 * Math.SQRT2) / 4096;
const SIGMA2 = 1 / 12 + 0.25; // ADC error variance in LSB²: uniform quantisation plus the σ = 0.5 LSB white noise

const arg = (name: string, dflt: number) => { const k = process.argv.indexOf(name); return k > 0 ? Number(process.argv[k + 1]) : dflt; };
let seed = arg("--seed", 20261121) >>> 0;
const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
const gauss = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
const quant = (x: number, lsb: number, full: number) => Math.max(-full, Math.min(full - lsb, Math.round(x / lsb) * lsb));

interface Tone { h: number; u: number; i: number; pu: number; pi: number }
interface CaseResult { err: Record<string, number>; info: { f: number; U: number; I: number; phiDeg: number; pf: number; P: number; S: number; ours: number; oracle: number } }

/** Trapezoid ∫ u·i over fractional sample positions [a, b] of interleaved (u, i) data, product linear between samples. */
function oracleIntegral(data: Float64Array, a: number, b: number): number {
  const f = (j: number) => data[2 * j] * data[2 * j + 1];
  const ja = Math.ceil(a), jb = Math.floor(b);
  let s = 0;
  for (let j = ja; j < jb; j++) s += (f(j) + f(j + 1)) / 2;
  const fa = f(ja - 1) + (a - (ja - 1)) * (f(ja) - f(ja - 1)); // product at a
  const fb = f(jb) + (b - jb) * (f(jb + 1) - f(jb)); // product at b
  return s + ((ja - a) * (fa + f(ja))) / 2 + ((b - jb) * (f(jb) + fb)) / 2;
}

function oneCase(fs: number, harmonic: boolean): CaseResult {
  const f = 50 * (0.85 + 0.3 * rnd());
  // Rated current 25 A: the ±30√2 A transducer then keeps headroom for 8 % THD peaks (no clipping).
  const U1 = 230 * (0.5 + 0.5 * rnd()), I1 = 25 * (0.05 + 0.95 * rnd());
  const phi = -Math.PI / 4 + rnd() * (Math.PI / 2 + Math.PI / 4);
  const tones: Tone[] = [{ h: 1, u: U1, i: I1, pu: 0, pi: -phi }];
  if (harmonic) {
    const orders = new Set<number>();
    while (orders.size < 5) orders.add(3 + Math.floor(rnd() * 37));
    const wu = [...orders].map(() => rnd()), wi = [...orders].map(() => rnd());
    const nu = Math.hypot(...wu), ni = Math.hypot(...wi);
    [...orders].forEach((h, k) => tones.push({ h, u: (0.08 * U1 * wu[k]) / nu, i: (0.08 * I1 * wi[k]) / ni, pu: 2 * Math.PI * rnd(), pi: 2 * Math.PI * rnd() }));
  }
  const U = Math.hypot(...tones.map((t) => t.u)), I = Math.hypot(...tones.map((t) => t.i));
  const P = tones.reduce((a, t) => a + t.u * t.i * Math.cos(t.pu - t.pi), 0);
  const S = U * I, N = Math.sqrt(S * S - P * P);
  const thd = (k: "u" | "i") => (100 * Math.hypot(...tones.filter((t) => t.h > 1 && t.h <= 40).map((t) => t[k]))) / tones[0][k];
  const n = Math.round(fs * 0.62), data = new Float64Array(2 * n), clean = new Float64Array(2 * n);
  const t0 = rnd() * 2 * Math.PI; // random starting phase
  for (let s = 0; s < n; s++) {
    const x = (2 * Math.PI * f * s) / fs + t0;
    let u = 0, i = 0;
    for (const t of tones) { u += t.u * Math.SQRT2 * Math.sin(t.h * x + t.pu); i += t.i * Math.SQRT2 * Math.sin(t.h * x + t.pi); }
    clean[2 * s] = u; clean[2 * s + 1] = i;
    data[2 * s] = quant(u + 0.5 * LSB_U * gauss(), LSB_U, 460 * Math.SQRT2);
    data[2 * s + 1] = quant(i + 0.5 * LSB_I * gauss(), LSB_I, 30 * Math.SQRT2);
  }
  let w: WindowRecord | undefined, count = 0;
  const m = new MeterPipeline({ phases: 1, sampleRate: fs, nominalVoltage: 230, nominalFrequency: 50 }, { onWindow: (r) => { if (++count === 2) w = { ...r, u: [...r.u], i: [...r.i], p: [...r.p], s: [...r.s], n: [...r.n], pf: [...r.pf], thdu: [...r.thdu], thdi: [...r.thdi] }; } });
  m.push(data, n);
  if (!w) throw new Error("no second window");
  const rel = (a: number, b: number) => (100 * (a - b)) / b;
  // Oracle: the exact window of 10 true cycles from our window's start (any start gives the true P
  // of a periodic signal over whole cycles; ours keeps the same samples).
  const a = w.t * fs, b = a + (10 * fs) / f;
  const pOracle = oracleIntegral(data, a, b) / (b - a), pClean = oracleIntegral(clean, a, b) / (b - a);
  const keep = Math.abs(P / S) >= 0.05;
  const err: Record<string, number> = {
    "voltage RMS": rel(w.u[0], U), "current RMS": rel(w.i[0], I), frequency: 1000 * (w.f - f),
    "active power": rel(w.p[0], P), "apparent power": rel(w.s[0], S), "power factor": w.pf[0] - P / S,
    "non-active power": (100 * (w.n[0] - N)) / S,
    "P oracle (noise floor)": rel(pOracle, P), "P oracle clean": rel(pClean, P),
    "P, |PF| >= 0.05": keep ? rel(w.p[0], P) : NaN, "P oracle, |PF| >= 0.05": keep ? rel(pOracle, P) : NaN,
    "P (% of S)": (100 * (w.p[0] - P)) / S, "P oracle (% of S)": (100 * (pOracle - P)) / S,
    // The estimator's own share (sync, window ends): what is left once the ADC's noise is taken out.
    "P ours − oracle": rel(w.p[0], pOracle), "P ours − oracle (% of S)": (100 * (w.p[0] - pOracle)) / S,
    // Expected σ of the mean of u·i from white ADC errors (quantisation LSB²/12 plus the 0.5 LSB noise) over
    // b − a samples: σ² = (σu²·I² + σi²·U²)/N. Its RMS over the cases is what the oracle row should show.
    "P noise theory (% of S)": (100 * Math.sqrt((SIGMA2 * LSB_U * LSB_U * I * I + SIGMA2 * LSB_I * LSB_I * U * U) / (b - a))) / S,
  };
  if (harmonic) { err["voltage THD"] = w.thdu[0] - thd("u"); err["current THD"] = w.thdi[0] - thd("i"); }
  return { err, info: { f, U, I, phiDeg: (phi * 180) / Math.PI, pf: P / S, P, S, ours: w.p[0], oracle: pOracle } };
}

type Result = Record<string, Record<string, Record<string, number>>>;

/** Runs every case group from the current seed: RMS error per row, |PF| ≥ 0.05 counts, worst-case lines. */
function runAll(cases: number, verbose: boolean): { result: Result; counts: Record<string, Record<string, number>>; worst: string[] } {
  const result: Result = {};
  const counts: Record<string, Record<string, number>> = {};
  const worst: string[] = [];
  for (const fs of [6400, 10000]) {
    result[fs] = {}; counts[fs] = {};
    for (const harmonic of [false, true]) {
      const sq: Record<string, number> = {}, nk: Record<string, number> = {};
      const all: CaseResult[] = [];
      for (let c = 0; c < cases; c++) {
        const r = oneCase(fs, harmonic);
        all.push(r);
        for (const [k, e] of Object.entries(r.err)) if (!Number.isNaN(e)) { sq[k] = (sq[k] ?? 0) + e * e; nk[k] = (nk[k] ?? 0) + 1; }
      }
      const rms: Record<string, number> = {};
      for (const k of Object.keys(sq)) rms[k] = Math.sqrt(sq[k] / nk[k]);
      const name = harmonic ? "nonsinusoidal" : "sinusoidal";
      result[fs][name] = rms;
      counts[fs][name] = nk["P, |PF| >= 0.05"];
      if (verbose) {
        all.sort((x, y) => Math.abs(y.err["active power"]) - Math.abs(x.err["active power"]));
        worst.push(`${fs / 1000}k ${name}: worst active-power cases (share of the squared-error sum)`);
        const total = sq["active power"];
        for (const r of all.slice(0, 5)) {
          const i = r.info, e = r.err["active power"];
          worst.push(`  f ${i.f.toFixed(3)} Hz U ${i.U.toFixed(1)} V I ${i.I.toFixed(2)} A φ1 ${i.phiDeg.toFixed(2)}° PF ${i.pf.toFixed(4)} P ${i.P.toFixed(2)} W: ours ${e.toPrecision(3)} %, oracle ${r.err["P oracle (noise floor)"].toPrecision(3)} %, ours−oracle ${(i.ours - i.oracle).toPrecision(3)} W (${((100 * e * e) / total).toFixed(0)} %)`);
        }
      }
    }
  }
  return { result, counts, worst };
}

const fmt = (x: number | null | undefined) => (x === null || x === undefined ? "—" : x < 0.001 ? x.toExponential(1) : x.toPrecision(2));

/** --seeds K: the active-power rows over K consecutive seeds (min / median / max), since one seed's relative figure is one draw of a heavy-tailed statistic. */
function seedSpread(first: number, k: number, cases: number): Record<string, Record<string, number[]>> {
  const rows = ["active power", "P oracle (noise floor)", "P, |PF| >= 0.05", "P (% of S)", "P ours − oracle (% of S)"];
  const spread: Record<string, Record<string, number[]>> = {};
  for (let s = 0; s < k; s++) {
    seed = (first + s) >>> 0;
    const { result } = runAll(cases, false);
    for (const q of rows) for (const fs of [6400, 10000]) for (const kind of ["sinusoidal", "nonsinusoidal"]) {
      const key = `${fs / 1000}k ${kind === "sinusoidal" ? "sin" : "non"}`;
      ((spread[q] ??= {})[key] ??= []).push(result[fs][kind][q]);
    }
  }
  console.log(`spread over ${k} seeds ${first}..${first + k - 1} (min / median / max of the RMS error):`);
  for (const [q, byKey] of Object.entries(spread)) {
    const cells = Object.entries(byKey).map(([key, v]) => { v.sort((a, b) => a - b); return `${key} ${fmt(v[0])}/${fmt(v[v.length >> 1])}/${fmt(v[v.length - 1])}`; });
    console.log(`  ${q.padEnd(25)} ${cells.join("  ")}`);
  }
  return spread;
}

function main(): void {
  const json = process.argv.includes("--json"), verbose = process.argv.includes("--verbose");
  const cases = Math.max(200, arg("--cases", 200));
  const startSeed = seed;
  const { result, counts, worst } = runAll(cases, verbose);
  console.log(`RMS error over ${cases} cases each (12-bit quantisation + 0.5 LSB white noise, seed ${startSeed}), ours vs the paper's Table 1`);
  console.log("quantity                  unit     paper sin  6.4k sin  10k sin | paper non-sin  6.4k non  10k non | ≤ half?");
  let allOk = true;
  const row = (q: string, unit: string, ps: number | null, pn: number | null, verdict: string) => {
    const s64 = result[6400].sinusoidal[q], s10 = result[10000].sinusoidal[q], n64 = result[6400].nonsinusoidal[q], n10 = result[10000].nonsinusoidal[q];
    console.log(`${q.padEnd(25)} ${unit.padEnd(7)} ${fmt(ps).padStart(9)} ${fmt(s64).padStart(9)} ${fmt(s10).padStart(8)} | ${fmt(pn).padStart(13)} ${fmt(n64).padStart(9)} ${fmt(n10).padStart(8)} | ${verdict}`);
  };
  for (const [q, [ps, pn, unit]] of Object.entries(PAPER)) {
    const s64 = result[6400].sinusoidal[q], s10 = result[10000].sinusoidal[q], n64 = result[6400].nonsinusoidal[q], n10 = result[10000].nonsinusoidal[q];
    const ok = (ps === null || (s64 <= ps / 2 && s10 <= ps / 2)) && (pn === null || (n64 <= pn / 2 && n10 <= pn / 2));
    if (!ok) allOk = false;
    row(q, unit, ps, pn, ok ? "yes" : "NO");
  }
  console.log("diagnostics (no goal):");
  for (const [q, unit] of Object.entries(INFO)) row(q, unit, null, null, "info");
  console.log(`  |PF| ≥ 0.05 keeps ${counts[6400].sinusoidal}/${counts[10000].sinusoidal} sinusoidal and ${counts[6400].nonsinusoidal}/${counts[10000].nonsinusoidal} non-sinusoidal cases of ${cases} (6.4k/10k)`);
  console.log(`every row at most half the paper's figure: ${allOk ? "yes" : "no"}`);
  const pq = (k: string) => result[6400].nonsinusoidal[k] > (PAPER["active power"][1] as number) / 2 || result[10000].nonsinusoidal[k] > (PAPER["active power"][1] as number) / 2;
  if (pq("active power")) {
    console.log(pq("P oracle (noise floor)")
      ? "  active power non-sinusoidal: even the oracle (exact window, same samples) is above half the paper: the relative metric is set by draws with P ≈ 0 at the ADC noise floor, see the |PF| ≥ 0.05 and % of S rows"
      : "  active power non-sinusoidal: above half the paper while the oracle floor is below it: the estimator (window, sync) adds error");
  }
  console.log("  the relative active-power rows are one draw of a heavy-tailed statistic (1/P near P = 0): --seeds 10 prints their spread over seeds");
  if (verbose) for (const l of worst) console.log(l);
  const seeds = arg("--seeds", 1);
  const spread = seeds > 1 ? seedSpread(startSeed, seeds, cases) : undefined;
  if (json) console.log(JSON.stringify({ cases, seed: startSeed, paper: PAPER, ours: result, keptPf005: counts, allHalf: allOk, spread }));
}

main();
