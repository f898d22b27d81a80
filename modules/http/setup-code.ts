import type { Random } from "../core/ports";
import { constantTimeEqual, utf8Encode } from "../core/bytes";

/** Digits in a setup code: 10^8 codes, guessed at the sign-in budget (20, then one per 3 s) in ~10 years on average. */
export const SETUP_CODE_DIGITS = 8;

/**
 * The code that claims a meter with no password yet. It is shown where only
 * someone at the meter can see it (the display; the console of `npm start`),
 * so a page that reaches the meter by DNS rebinding, or anyone else on the
 * LAN, cannot set the first password. Made once per boot while no password
 * is set; guesses go through the same limits as passwords.
 */
export class SetupCode {
  readonly code: string;

  constructor(random: Random) {
    this.code = randomDigits(random, SETUP_CODE_DIGITS);
  }

  /** As shown: two groups of four ("1234 5678"). */
  get display(): string {
    return `${this.code.slice(0, 4)} ${this.code.slice(4)}`;
  }

  /** Whether `typed` is the code (spaces and dashes ignored), in constant time. */
  matches(typed: string | undefined): boolean {
    const digits = (typed ?? "").replace(/[\s-]/g, "");
    if (digits.length !== this.code.length) return false;
    return constantTimeEqual(utf8Encode(digits), utf8Encode(this.code));
  }
}

/** Uniform decimal digits by rejection sampling (a byte ≥ 250 would bias "mod 10"). */
function randomDigits(random: Random, n: number): string {
  const b = new Uint8Array(1);
  let out = "";
  while (out.length < n) {
    random.fill(b);
    if (b[0] < 250) out += String(b[0] % 10);
  }
  return out;
}
