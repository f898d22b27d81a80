// `xsmeter headend --reconnect-delay-ms N`: refused unless an integer 0..600000, and given to every
// ingest worker's subscriber (startHeadend's reconnectDelayMs).
import { describe, expect, it } from "vitest";
import { headendCommand } from "../../hosts/headend/cli";
import { startHeadend } from "../../hosts/headend/headend";
import { UsageError } from "../../hosts/node/cli/command";

describe("the head-end's reconnect delay", () => {
  it("refuses a value that is not an integer 0..600000, naming the flag", async () => {
    for (const v of ["x", "-1", "1.5", "600001"]) {
      const e = await headendCommand.run(["--reconnect-delay-ms", v, "--db", ":memory:"]).catch((x: unknown) => x);
      expect(e, v).toBeInstanceOf(UsageError);
      expect((e as Error).message).toMatch(/--reconnect-delay-ms needs an integer 0\.\.600000/);
    }
    await expect(headendCommand.run(["--reconnect-delay-ms"])).rejects.toThrow(/--reconnect-delay-ms needs a value/);
  });

  it("gives it to every ingest worker (default 200 ms)", async () => {
    for (const [given, expected] of [[8000, 8000], [undefined, 200]] as const) {
      // a broker port nobody listens on: the workers only try to connect
      const h = await startHeadend({ mqttUrl: "mqtt://127.0.0.1:1", db: ":memory:", httpPort: 0, workers: 2, reconnectDelayMs: given });
      try {
        expect(h.ingest.map((w) => w.subscriber.reconnectDelayMs)).toEqual([expected, expected]);
      } finally {
        await h.stop();
      }
    }
  });
});
