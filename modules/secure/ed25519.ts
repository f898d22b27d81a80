/**
 * Ed25519 (RFC 8032): key generation from a 32-byte seed, signing and
 * verification, engine-neutral. Field elements are 16 limbs of 16 bits held
 * in Float64Array (the TweetNaCl representation): every product stays below
 * 2^53, so the arithmetic is exact in any engine without BigInt, and XS runs
 * it with plain number operations.
 *
 * Signing uses a constant-time ladder (the seed is secret); verification works
 * on public data only and uses a faster variable-time double-scalar
 * multiplication (Straus–Shamir: S·B − h·A in one pass of 253 doublings).
 * Verification rejects non-canonical S (S ≥ L) and public keys whose y ≥ p,
 * as RFC 8032 §5.1.7 requires.
 */
import { sha512, Sha512 } from "./sha512";

type Gf = Float64Array;
type Point = [Gf, Gf, Gf, Gf]; // extended coordinates (X, Y, Z, T), x = X/Z, y = Y/Z, xy = T/Z

function gf(init?: readonly number[]): Gf {
  const r = new Float64Array(16);
  if (init) for (let i = 0; i < init.length; i++) r[i] = init[i];
  return r;
}

const GF0 = gf();
const GF1 = gf([1]);
// d = −121665/121666 mod p, 2d, the base point B = (X, Y), and sqrt(−1); checked against
// their definitions in test/secure/ed25519.test.ts.
const D = gf([0x78a3, 0x1359, 0x4dca, 0x75eb, 0xd8ab, 0x4141, 0x0a4d, 0x0070, 0xe898, 0x7779, 0x4079, 0x8cc7, 0xfe73, 0x2b6f, 0x6cee, 0x5203]);
const D2 = gf([0xf159, 0x26b2, 0x9b94, 0xebd6, 0xb156, 0x8283, 0x149a, 0x00e0, 0xd130, 0xeef3, 0x80f2, 0x198e, 0xfce7, 0x56df, 0xd9dc, 0x2406]);
const BX = gf([0xd51a, 0x8f25, 0x2d60, 0xc956, 0xa7b2, 0x9525, 0xc760, 0x692c, 0xdc5c, 0xfdd6, 0xe231, 0xc0a4, 0x53fe, 0xcd6e, 0x36d3, 0x2169]);
const BY = gf([0x6658, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666]);
const SQRTM1 = gf([0xa0b0, 0x4a0e, 0x1b27, 0xc4ee, 0xe478, 0xad2f, 0x1806, 0x2f43, 0xd7a7, 0x3dfb, 0x0099, 0x2b4d, 0xdf0b, 0x4fc1, 0x2480, 0x2b83]);
/** The group order L = 2^252 + 27742317777372353535851937790883648493, little-endian bytes. */
const L = Object.freeze([
  0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
]);

export const PUBLIC_KEY_LENGTH = 32;
export const SEED_LENGTH = 32;
export const SIGNATURE_LENGTH = 64;

// ---- field arithmetic mod p = 2^255 − 19 ----

function set(r: Gf, a: Gf): void {
  for (let i = 0; i < 16; i++) r[i] = a[i];
}

function carry(o: Gf): void {
  let c = 1;
  for (let i = 0; i < 16; i++) {
    const v = o[i] + c + 65535;
    c = Math.floor(v / 65536);
    o[i] = v - c * 65536;
  }
  o[0] += c - 1 + 37 * (c - 1); // 2^256 ≡ 38 (mod p)
}

/** Swaps p and q when b is 1, without branching on b. */
function select(p: Gf, q: Gf, b: number): void {
  const c = ~(b - 1);
  for (let i = 0; i < 16; i++) {
    const t = c & (p[i] ^ q[i]);
    p[i] ^= t;
    q[i] ^= t;
  }
}

// Scratch field elements and bytes of the arithmetic below. On the board this module is preloaded,
// and a preloaded typed array is read-only (XS linker: integer-indexed assignment throws), so the
// module's own scratch (made at preload for basePoint) is replaced by RAM copies on the first call
// at run time (useRuntimeScratch, from every entry point). Node and xsnap just allocate them once more.
let packT = gf();
let packM = gf();
/** Fully reduced little-endian 32-byte encoding. */
function pack25519(o: Uint8Array, n: Gf): void {
  const t = packT;
  const m = packM;
  set(t, n);
  carry(t);
  carry(t);
  carry(t);
  for (let j = 0; j < 2; j++) {
    m[0] = t[0] - 0xffed;
    for (let i = 1; i < 15; i++) {
      m[i] = t[i] - 0xffff - ((m[i - 1] >> 16) & 1);
      m[i - 1] &= 0xffff;
    }
    m[15] = t[15] - 0x7fff - ((m[14] >> 16) & 1);
    const b = (m[15] >> 16) & 1;
    m[14] &= 0xffff;
    select(t, m, 1 - b);
  }
  for (let i = 0; i < 16; i++) {
    o[2 * i] = t[i] & 0xff;
    o[2 * i + 1] = t[i] >> 8;
  }
}

let cmpA = new Uint8Array(32);
let cmpB = new Uint8Array(32);
function different(a: Gf, b: Gf): boolean {
  pack25519(cmpA, a);
  pack25519(cmpB, b);
  let d = 0;
  for (let i = 0; i < 32; i++) d |= cmpA[i] ^ cmpB[i];
  return d !== 0;
}

function parity(a: Gf): number {
  pack25519(cmpA, a);
  return cmpA[0] & 1;
}

function unpack25519(o: Gf, n: Uint8Array): void {
  for (let i = 0; i < 16; i++) o[i] = n[2 * i] + (n[2 * i + 1] << 8);
  o[15] &= 0x7fff;
}

function add(o: Gf, a: Gf, b: Gf): void {
  for (let i = 0; i < 16; i++) o[i] = a[i] + b[i];
}

function sub(o: Gf, a: Gf, b: Gf): void {
  for (let i = 0; i < 16; i++) o[i] = a[i] - b[i];
}

let product = new Float64Array(31);
function mul(o: Gf, a: Gf, b: Gf): void {
  const t = product;
  t.fill(0);
  for (let i = 0; i < 16; i++) {
    const ai = a[i];
    for (let j = 0; j < 16; j++) t[i + j] += ai * b[j];
  }
  for (let i = 0; i < 15; i++) t[i] += 38 * t[i + 16];
  for (let pass = 0; pass < 2; pass++) {
    let c = 1;
    for (let i = 0; i < 16; i++) {
      const v = t[i] + c + 65535;
      c = Math.floor(v / 65536);
      t[i] = v - c * 65536;
    }
    t[0] += c - 1 + 37 * (c - 1);
  }
  for (let i = 0; i < 16; i++) o[i] = t[i];
}

function square(o: Gf, a: Gf): void {
  mul(o, a, a);
}

function invert(o: Gf, i: Gf): void {
  const c = gf();
  set(c, i);
  for (let a = 253; a >= 0; a--) {
    square(c, c);
    if (a !== 2 && a !== 4) mul(c, c, i);
  }
  set(o, c);
}

/** i^((p−5)/8), for the square root in point decoding. */
function pow2523(o: Gf, i: Gf): void {
  const c = gf();
  set(c, i);
  for (let a = 250; a >= 0; a--) {
    square(c, c);
    if (a !== 1) mul(c, c, i);
  }
  set(o, c);
}

// ---- group operations on extended twisted Edwards coordinates ----

function point(): Point {
  return [gf(), gf(), gf(), gf()];
}

function setPoint(r: Point, p: Readonly<Point>): void {
  for (let k = 0; k < 4; k++) set(r[k], p[k]);
}

function neutral(r: Point): void {
  set(r[0], GF0);
  set(r[1], GF1);
  set(r[2], GF1);
  set(r[3], GF0);
}

let ta = gf(), tb = gf(), tc = gf(), td = gf(), te = gf(), tf = gf(), tg = gf(), th = gf(), tt = gf();
/** p ← p + q (unified formula, also right for p = q). */
function addPoint(p: Point, q: Point): void {
  sub(ta, p[1], p[0]);
  sub(tt, q[1], q[0]);
  mul(ta, ta, tt);
  add(tb, p[0], p[1]);
  add(tt, q[0], q[1]);
  mul(tb, tb, tt);
  mul(tc, p[3], q[3]);
  mul(tc, tc, D2);
  mul(td, p[2], q[2]);
  add(td, td, td);
  sub(te, tb, ta);
  sub(tf, td, tc);
  add(tg, td, tc);
  add(th, tb, ta);
  mul(p[0], te, tf);
  mul(p[1], th, tg);
  mul(p[2], tg, tf);
  mul(p[3], te, th);
}

function swapPoints(p: Point, q: Point, b: number): void {
  for (let i = 0; i < 4; i++) select(p[i], q[i], b);
}

function packPoint(r: Uint8Array, p: Point): void {
  const zi = gf(), tx = gf(), ty = gf();
  invert(zi, p[2]);
  mul(tx, p[0], zi);
  mul(ty, p[1], zi);
  pack25519(r, ty);
  r[31] ^= parity(tx) << 7;
}

function basePoint(): Point {
  const b = point();
  set(b[0], BX);
  set(b[1], BY);
  set(b[2], GF1);
  mul(b[3], BX, BY);
  return b;
}
// Frozen: xsl warned "baseB: not frozen" (the array of four coordinates; its typed arrays stay in flash).
const baseB: Readonly<Point> = Object.freeze(basePoint());

let runtimeScratch = false;
/** Swaps the preload-time scratch for RAM copies, once (see packT). */
function useRuntimeScratch(): void {
  if (runtimeScratch) return;
  packT = gf(); packM = gf();
  cmpA = new Uint8Array(32); cmpB = new Uint8Array(32);
  product = new Float64Array(31);
  ta = gf(); tb = gf(); tc = gf(); td = gf(); te = gf(); tf = gf(); tg = gf(); th = gf(); tt = gf();
  runtimeScratch = true;
}

/** p ← s·q by a constant-time Montgomery-style ladder (q is clobbered). */
function scalarMult(p: Point, q: Point, s: Uint8Array): void {
  neutral(p);
  for (let i = 255; i >= 0; i--) {
    const b = (s[(i / 8) | 0] >> (i & 7)) & 1;
    swapPoints(p, q, b);
    addPoint(q, p);
    addPoint(p, p);
    swapPoints(p, q, b);
  }
}

/** y (the low 255 bits) < p = 2^255 − 19. */
function canonicalY(p: Uint8Array): boolean {
  if ((p[31] & 0x7f) !== 0x7f) return true;
  for (let i = 30; i >= 1; i--) if (p[i] !== 0xff) return true;
  return p[0] < 0xed;
}

// ---- scalars mod L ----

function modL(r: Uint8Array, x: Float64Array): void {
  let c: number;
  let j: number;
  for (let i = 63; i >= 32; --i) {
    c = 0;
    for (j = i - 32; j < i - 12; ++j) {
      x[j] += c - 16 * x[i] * L[j - (i - 32)];
      c = Math.floor((x[j] + 128) / 256);
      x[j] -= c * 256;
    }
    x[j] += c;
    x[i] = 0;
  }
  c = 0;
  for (j = 0; j < 32; j++) {
    x[j] += c - (x[31] >> 4) * L[j];
    c = x[j] >> 8;
    x[j] &= 255;
  }
  for (j = 0; j < 32; j++) x[j] -= c * L[j];
  for (let i = 0; i < 32; i++) {
    x[i + 1] += x[i] >> 8;
    r[i] = x[i] & 255;
  }
}

/** A 64-byte hash reduced mod L into 32 bytes. */
function reduce(h: Uint8Array): Uint8Array {
  const x = new Float64Array(64);
  for (let i = 0; i < 64; i++) x[i] = h[i];
  const r = new Uint8Array(32);
  modL(r, x);
  return r;
}

/** S < L, compared as little-endian integers. */
function scalarCanonical(s: Uint8Array): boolean {
  for (let i = 31; i >= 0; i--) {
    if (s[i] < L[i]) return true;
    if (s[i] > L[i]) return false;
  }
  return false; // S = L
}

// ---- public API ----

function expandSeed(seed: Uint8Array): Uint8Array {
  if (seed.length !== SEED_LENGTH) throw new RangeError(`ed25519: a seed (private key) is ${SEED_LENGTH} bytes, got ${seed.length}`);
  const d = sha512(seed);
  d[0] &= 248;
  d[31] &= 127;
  d[31] |= 64;
  return d;
}

function publicFromExpanded(d: Uint8Array): Uint8Array {
  const p = point();
  scalarMult(p, basePoint(), d.subarray(0, 32));
  const pk = new Uint8Array(32);
  packPoint(pk, p);
  return pk;
}

/** The public key of a 32-byte seed (RFC 8032's "private key"). */
export function publicKeyFromSeed(seed: Uint8Array): Uint8Array {
  useRuntimeScratch();
  return publicFromExpanded(expandSeed(seed));
}

/** A detached 64-byte signature R ‖ S of `message`. */
export function sign(message: Uint8Array, seed: Uint8Array): Uint8Array {
  useRuntimeScratch();
  const d = expandSeed(seed);
  const pk = publicFromExpanded(d);
  const r = reduce(new Sha512().update(d.subarray(32, 64)).update(message).digest());
  const R = point();
  scalarMult(R, basePoint(), r);
  const sig = new Uint8Array(64);
  packPoint(sig, R);
  const h = reduce(new Sha512().update(sig.subarray(0, 32)).update(pk).update(message).digest());
  const x = new Float64Array(64);
  for (let i = 0; i < 32; i++) x[i] = r[i];
  for (let i = 0; i < 32; i++) for (let j = 0; j < 32; j++) x[i + j] += h[i] * d[j];
  modL(sig.subarray(32), x);
  return sig;
}

/**
 * True only for a valid signature of `message` under `publicKey`; false for anything malformed.
 * One call does all the work (~54 M computrons in XS): where a main loop must keep running,
 * step an Ed25519Verification instead.
 */
export function verify(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  const v = new Ed25519Verification(publicKey, message, signature);
  v.step(Infinity);
  return v.result();
}

// ---- stepped verification ----

/**
 * Work is counted in field multiplications (a squaring counts as one): a point addition
 * or doubling is 9, one SHA-512 block about as much as HASH_BLOCK_COST of them. In XS a
 * field multiplication costs ≈ 10 k computrons (bench: test/xs/scenarios/secure-ed25519-stepped.ts).
 */
const POINT_ADD_COST = 9;
const HASH_BLOCK_COST = 5; // ≈ 51 k computrons a block in XS (ota-ed25519 sha512Of1KiB), ≈ 4.7 multiplications
/** Field multiplications per step() by default: a few hundred k computrons in XS. */
export const DEFAULT_STEP_BUDGET = 24;

// The phases, in order (frozen: the XS linker keeps a preloaded module's constants in flash).
const Phase = Object.freeze({
  Decode: 0, // A's y → x² = num/den, and the square root's base num·den^7
  Root: 1, // that base raised to (p−5)/8, one exponent bit per loop
  Recover: 2, // x from the root, on-curve and sign checks, −A
  Hash: 3, // SHA-512(R ‖ A ‖ M), one block per loop, then h mod L
  Setup: 4, // B, B − A, the accumulator
  Ladder: 5, // S·B − h·A, one bit of S and h per loop
  Invert: 6, // 1/Z of the result, one exponent bit per loop
  Compare: 7, // encode the result and compare it with R
  Done: 8,
} as const);

/**
 * One Ed25519 verification (RFC 8032 §5.1.7) cut into bounded steps, so a cooperative
 * main loop keeps running during the ~54 M computrons it costs in XS (20–35 s on an
 * ESP32): `step(budget)` does about `budget` field multiplications and returns true once
 * the verdict is known; `result()` is then the verdict. The same maths as a one-shot
 * verification (which is this, stepped to the end in one call). Inputs are copied, so
 * the caller may reuse its buffers between steps; everything a step needs was allocated
 * by the constructor.
 */
export class Ed25519Verification {
  private phase: number = Phase.Decode;
  private valid = false;
  private left = 0;
  private stepStart = 0; // work when this step began
  /** Counts how many field multiplications the steps did so far (for benchmarks and tests). */
  work = 0;
  private readonly signature: Uint8Array;
  private readonly publicKey: Uint8Array;
  private readonly hashInput?: Uint8Array; // R ‖ A ‖ M
  private hashed = 0;
  private readonly hasher = new Sha512();
  private h: Uint8Array = new Uint8Array(0);
  private bit = 0; // exponent or scalar bit the current loop is at
  private readonly negA = point();
  private readonly B = point();
  private readonly both = point();
  private readonly acc = point();
  // decoding temporaries
  private readonly num = gf();
  private readonly den = gf();
  private readonly base = gf();
  private readonly pow = gf();
  private readonly chk = gf();
  private readonly check = new Uint8Array(32);

  constructor(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) {
    useRuntimeScratch();
    this.signature = signature.slice();
    this.publicKey = publicKey.slice();
    // wrong lengths, S ≥ L, or A's y ≥ p: refused before any work
    if (signature.length !== SIGNATURE_LENGTH || publicKey.length !== PUBLIC_KEY_LENGTH || !scalarCanonical(this.signature.subarray(32, 64)) || !canonicalY(this.publicKey)) {
      this.finish(false);
      return;
    }
    const input = new Uint8Array(64 + message.length);
    input.set(this.signature.subarray(0, 32));
    input.set(this.publicKey, 32);
    input.set(message, 64);
    this.hashInput = input;
  }

  /** True once the verdict is known. */
  get done(): boolean {
    return this.phase === Phase.Done;
  }

  /** The verdict: true only for a valid signature (false while not done). */
  result(): boolean {
    return this.phase === Phase.Done && this.valid;
  }

  /**
   * Does at most `budget` field multiplications of the verification (or, when the budget
   * is smaller than the next indivisible piece, that piece: ≤ 18), and at least one piece;
   * returns true once done.
   */
  step(budget: number = DEFAULT_STEP_BUDGET): boolean {
    this.left = budget;
    this.stepStart = this.work;
    while (this.phase !== Phase.Done && this.fits(1)) {
      switch (this.phase) {
        case Phase.Decode: this.decode(); break;
        case Phase.Root: this.root(); break;
        case Phase.Recover: this.recover(); break;
        case Phase.Hash: this.hash(); break;
        case Phase.Setup: this.setup(); break;
        case Phase.Ladder: this.ladder(); break;
        case Phase.Invert: this.invert(); break;
        case Phase.Compare: this.compare(); break;
      }
    }
    return this.phase === Phase.Done;
  }

  /** Whether a piece of `n` multiplications fits this step (the first piece always does). */
  private fits(n: number): boolean {
    return this.left >= n || this.work === this.stepStart;
  }

  private spend(n: number): void {
    this.left -= n;
    this.work += n;
  }

  /** Ends this step: the next piece does not fit its budget. */
  private yieldStep(): void {
    this.left = 0;
  }

  private finish(valid: boolean): void {
    this.valid = valid;
    this.phase = Phase.Done;
  }

  /** y from A, x² = (y² − 1)/(d·y² + 1) = num/den, and the root's base num·den^7. */
  private decode(): void {
    if (!this.fits(7)) return this.yieldStep();
    const r = this.negA, num = this.num, den = this.den, t = this.base, d2 = this.chk;
    set(r[2], GF1);
    unpack25519(r[1], this.publicKey);
    square(num, r[1]);
    mul(den, num, D);
    sub(num, num, r[2]);
    add(den, r[2], den);
    square(d2, den); // den²
    square(t, d2); // den⁴
    mul(t, t, d2); // den⁶
    mul(t, t, num);
    mul(t, t, den);
    set(this.pow, t);
    this.bit = 250;
    this.spend(7);
    this.phase = Phase.Root;
  }

  /** pow ← base^((p−5)/8) (the bits of pow2523), two multiplications per loop. */
  private root(): void {
    const c = this.pow;
    while (this.bit >= 0 && this.fits(2)) {
      square(c, c);
      if (this.bit !== 1) mul(c, c, this.base);
      this.bit--;
      this.spend(2);
    }
    if (this.bit < 0) this.phase = Phase.Recover;
    else this.yieldStep();
  }

  /** x = num·den³·root (or that times √−1); rejects a y with no x, and x = 0 with the sign bit set. */
  private recover(): void {
    if (!this.fits(16)) return this.yieldStep();
    const r = this.negA, t = this.pow, num = this.num, den = this.den, chk = this.chk;
    mul(t, t, num);
    mul(t, t, den);
    mul(t, t, den);
    mul(r[0], t, den);
    square(chk, r[0]);
    mul(chk, chk, den);
    if (different(chk, num)) mul(r[0], r[0], SQRTM1);
    square(chk, r[0]);
    mul(chk, chk, den);
    this.spend(16); // 9 multiplications and about 7 multiplications' worth of encodings
    if (different(chk, num)) return this.finish(false); // not on the curve
    const sign = this.publicKey[31] >> 7;
    if (sign === 1 && !different(r[0], GF0)) return this.finish(false); // x = 0 has no negative
    if (parity(r[0]) === sign) sub(r[0], GF0, r[0]); // −A
    mul(r[3], r[0], r[1]);
    this.phase = Phase.Hash;
  }

  /** SHA-512 of R ‖ A ‖ M, one 128-byte block per loop, then h = that mod L. */
  private hash(): void {
    const input = this.hashInput!;
    while (this.hashed < input.length && this.fits(HASH_BLOCK_COST)) {
      const end = Math.min(input.length, this.hashed + 128);
      this.hasher.update(input.subarray(this.hashed, end));
      this.hashed = end;
      this.spend(HASH_BLOCK_COST);
    }
    if (this.hashed < input.length || !this.fits(2 * HASH_BLOCK_COST)) return this.yieldStep();
    this.h = reduce(this.hasher.digest());
    this.spend(2 * HASH_BLOCK_COST);
    this.phase = Phase.Setup;
  }

  private setup(): void {
    if (!this.fits(POINT_ADD_COST)) return this.yieldStep();
    setPoint(this.B, baseB);
    setPoint(this.both, baseB);
    addPoint(this.both, this.negA);
    neutral(this.acc);
    this.bit = 255;
    this.spend(POINT_ADD_COST);
    this.phase = Phase.Ladder;
  }

  /** S·B + h·(−A) by joint double-and-add over the bits of S and h (variable time: all public). */
  private ladder(): void {
    const S = this.signature, h = this.h, acc = this.acc;
    while (this.bit >= 0) {
      const i = this.bit;
      const sb = (S[32 + (i >> 3)] >> (i & 7)) & 1;
      const hb = (h[i >> 3] >> (i & 7)) & 1;
      if (!this.fits(sb | hb ? 2 * POINT_ADD_COST : POINT_ADD_COST)) return this.yieldStep();
      addPoint(acc, acc);
      if (sb && hb) addPoint(acc, this.both);
      else if (sb) addPoint(acc, this.B);
      else if (hb) addPoint(acc, this.negA);
      this.spend(sb | hb ? 2 * POINT_ADD_COST : POINT_ADD_COST);
      this.bit--;
    }
    if (this.bit >= 0) return;
    set(this.pow, this.acc[2]);
    this.bit = 253;
    this.phase = Phase.Invert;
  }

  /** pow ← Z^(p−2) = 1/Z (the bits of invert), two multiplications per loop. */
  private invert(): void {
    const c = this.pow, z = this.acc[2];
    while (this.bit >= 0 && this.fits(2)) {
      square(c, c);
      if (this.bit !== 2 && this.bit !== 4) mul(c, c, z);
      this.bit--;
      this.spend(2);
    }
    if (this.bit < 0) this.phase = Phase.Compare;
    else this.yieldStep();
  }

  /** Encodes the result (y, and x's sign bit) and compares it with R. */
  private compare(): void {
    if (!this.fits(4)) return this.yieldStep();
    const tx = this.num, ty = this.den, check = this.check;
    mul(tx, this.acc[0], this.pow);
    mul(ty, this.acc[1], this.pow);
    pack25519(check, ty);
    check[31] ^= parity(tx) << 7;
    this.spend(4);
    let diff = 0;
    for (let i = 0; i < 32; i++) diff |= check[i] ^ this.signature[i];
    this.finish(diff === 0);
  }
}
