/** Waits until `ok()` holds, polling every `pollMs`; fails naming `what` after `ms`. */
export async function until(what: string, ok: () => boolean, ms = 10_000, pollMs = 10): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
