/**
 * Freshness of downlink commands, one counter per command kind (price, load,
 * config, firmware): a price update signed after a firmware offer no longer
 * makes the offer a replay, and the utility's systems for each kind keep
 * their own sequence.
 *
 * The window: a ctr is accepted when last < ctr ≤ last + maxStep. A signed
 * ctr of 4294967295 on a meter at 41 is refused ("too far ahead"), so one
 * mistaken or stolen command cannot use up the 32-bit space and disable every
 * later downlink; reaching the end takes 2^32 / maxStep accepted commands.
 * The first command of a kind (last = 0) may start anywhere up to
 * FIRST_CTR_MAX, so a sender counting in Unix seconds (≈ 1.8e9) works on a
 * fresh meter, and still leaves 2^28 values (8.5 years at one a second).
 * Refusals name the last accepted value, so a sender that lost its own count
 * resynchronises with last + 1.
 */
export type CommandKind = "price" | "load" | "config" | "firmware";
export const COMMAND_KINDS: readonly CommandKind[] = Object.freeze(["price", "load", "config", "firmware"] as CommandKind[]);

/** Where one kind's last accepted downlink counter lives (flash on the board). */
export interface CounterStore {
  load(): number;
  save(value: number): void;
}

export type KindCounters = Readonly<Record<CommandKind, CounterStore>>;

/** The u32 store of the board (FlashCounterStore) as CloudLink needs it. */
export interface U32Store {
  get(key: number): number | undefined;
  set(key: number, value: number): void;
}

/** 2^24: at one command a second, 194 days of commands skipped at once. */
export const DEFAULT_MAX_CTR_STEP = 1 << 24;

/** Store keys "DLC" ‖ kind index (outside the CAN master's 1..63 slave keys and the boot counter's "BOOT"). */
export const KIND_KEYS: Readonly<Record<CommandKind, number>> = Object.freeze({ price: 0x444c4300, load: 0x444c4301, config: 0x444c4302, firmware: 0x444c4303 });

export function isCommandKind(kind: string): kind is CommandKind {
  return kind === "price" || kind === "load" || kind === "config" || kind === "firmware";
}

/**
 * Per-kind counters in a u32 store. `legacyKey` held the one shared counter
 * of earlier firmware: each kind starts above it, so a command accepted
 * before the upgrade is still a replay after it.
 */
export function storeCounters(store: U32Store, legacyKey?: number): KindCounters {
  const floor = (): number => (legacyKey === undefined ? 0 : store.get(legacyKey) ?? 0);
  const one = (key: number): CounterStore => ({
    load: () => Math.max(store.get(key) ?? 0, floor()),
    save: (v) => store.set(key, v),
  });
  return Object.freeze({ price: one(KIND_KEYS.price), load: one(KIND_KEYS.load), config: one(KIND_KEYS.config), firmware: one(KIND_KEYS.firmware) });
}

/** Counters in RAM (tests, a meter without flash): lost at reset. */
export function memoryCounters(start = 0): KindCounters & { values(): Record<CommandKind, number> } {
  const v: Record<CommandKind, number> = { price: start, load: start, config: start, firmware: start };
  const one = (k: CommandKind): CounterStore => ({ load: () => v[k], save: (x) => void (v[k] = x) });
  return { price: one("price"), load: one("load"), config: one("config"), firmware: one("firmware"), values: () => ({ ...v }) };
}

/** The highest ctr a kind's first command may carry. */
export const FIRST_CTR_MAX = 0xffffffff - (1 << 28);

/** Why `ctr` is not fresh for a counter at `last`, or undefined when it is. */
export function staleReason(ctr: number, last: number, maxStep: number): string | undefined {
  if (ctr <= last) return `replayed command: counter ${ctr} is not above ${last}`;
  if (last === 0) return ctr > FIRST_CTR_MAX ? `refused command: a first counter must be at most ${FIRST_CTR_MAX}, not ${ctr}` : undefined;
  if (ctr - last > maxStep) return `refused command: counter ${ctr} is more than ${maxStep} above the last accepted ${last} (send ${last + 1}…${Math.min(last + maxStep, 0xffffffff)})`;
  return undefined;
}
