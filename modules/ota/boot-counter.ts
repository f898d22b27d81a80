/**
 * The boot counter: a number in flash incremented once at every start-up,
 * before anything is published, so (boot, seq) strictly increases across
 * reboots even though per-meter sequence numbers restart at 1 each boot.
 *
 * Power-cut safe through the store: FlashCounterStore writes a CRC'd record
 * and a torn one is ignored. A cut during the increment leaves the old value;
 * that boot never got past this point (it published nothing), so the next boot
 * taking the same number N + 1 collides with nothing.
 */
export interface U32Store {
  get(key: number): number | undefined;
  set(key: number, value: number): void;
}

/** Key of the boot counter in a FlashCounterStore ("BOOT"). */
export const BOOT_COUNTER_KEY = 0x424f4f54;

/** Counts this boot: returns its number (1 for the first), persisted before it returns. */
export function countBoot(store: U32Store, key = BOOT_COUNTER_KEY): number {
  const n = (store.get(key) ?? 0) + 1;
  if (n > 0xffffffff) throw new RangeError("boot counter exhausted");
  store.set(key, n);
  return n;
}
