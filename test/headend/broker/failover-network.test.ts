// FailoverNetwork: a connection that closes (refused, or dropped by a dying node) sends the next
// attempt to the next endpoint of the list; bad URL lists are refused with a clear error.
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { credentialsOf, FailoverNetwork, parseEndpoints, redactUrls } from "../../../hosts/headend/broker/failover-network";
import { NodeNetwork } from "../../../hosts/node/http/node-network";
import { freePort } from "../../../hosts/node/free-port";
import { headendCommand } from "../../../hosts/headend/cli";
import { UsageError } from "../../../hosts/node/cli/command";

const servers: net.Server[] = [];
afterEach(() => { for (const s of servers.splice(0)) s.close(); });

function serve(port: number, onConn: (s: net.Socket) => void): Promise<void> {
  const s = net.createServer(onConn);
  servers.push(s);
  return new Promise((r) => s.listen(port, "127.0.0.1", () => r()));
}

function attempt(n: FailoverNetwork): Promise<{ connected: boolean; data: string }> {
  return new Promise((resolve) => {
    let connected = false;
    let data = "";
    n.connect("ignored", 1, { onConnect: () => { connected = true; }, onData: (b) => { data += new TextDecoder().decode(b); }, onClose: () => resolve({ connected, data }) });
  });
}

describe("FailoverNetwork", () => {
  it("moves to the next node after a refusal and after a dropped connection, and wraps around", async () => {
    const [dead, a, b] = [await freePort(), await freePort(), await freePort()];
    await serve(a, (s) => s.end("A"));
    await serve(b, (s) => s.end("B"));
    const n = new FailoverNetwork(new NodeNetwork(), parseEndpoints(`mqtt://127.0.0.1:${dead}, mqtt://127.0.0.1:${a},mqtt://127.0.0.1:${b}`));
    expect(await attempt(n)).toEqual({ connected: false, data: "" }); // nobody on the first
    expect(await attempt(n)).toEqual({ connected: true, data: "A" }); // A answers, then drops us
    expect(await attempt(n)).toEqual({ connected: true, data: "B" });
    expect(n.current.port).toBe(dead);
    expect(n.stats).toEqual({ attempts: 3, switches: 3 });
  });

  it("stays on a single endpoint", async () => {
    const a = await freePort();
    await serve(a, (s) => s.end("A"));
    const n = new FailoverNetwork(new NodeNetwork(), parseEndpoints(`mqtt://127.0.0.1:${a}`));
    expect((await attempt(n)).data).toBe("A");
    expect((await attempt(n)).data).toBe("A");
    expect(n.stats.switches).toBe(0);
  });

  it("refuses bad broker lists with a clear error", () => {
    expect(() => parseEndpoints("")).toThrow(/no broker URL/);
    expect(() => parseEndpoints(" , ")).toThrow(/no broker URL/);
    expect(() => parseEndpoints("mqtt://a:1,not a url")).toThrow(/not a broker URL: "not a url"/);
    expect(() => parseEndpoints("http://a:1")).toThrow(/not an mqtt:\/\/ URL/);
    expect(parseEndpoints("mqtt://h")).toEqual([{ host: "h", port: 1883 }]);
    expect(() => new FailoverNetwork(new NodeNetwork(), [])).toThrow(/at least one/);
  });
});

describe("xsmeter headend --mqtt with a list of brokers", () => {
  it("refuses a bad entry with a usage error naming it, before opening anything", async () => {
    const run = headendCommand.run(["--mqtt", "mqtt://127.0.0.1:1,mqtt//oops"]);
    await expect(run).rejects.toBeInstanceOf(UsageError);
    await expect(headendCommand.run(["--mqtt", "mqtt://127.0.0.1:1,mqtt//oops"])).rejects.toThrow(/--mqtt needs mqtt:\/\/host:port.*"mqtt\/\/oops"/);
    await expect(headendCommand.run(["--mqtt", ","])).rejects.toThrow(/no broker URL/);
  });
});

describe("the head-end's broker account (a broker with ACLs)", () => {
  it("takes the user and password from the first URL, the password from $XSMETER_MQTT_PASSWORD when the URL has none", () => {
    const dec = (c: { username?: string; password?: Uint8Array }) => [c.username, c.password && new TextDecoder().decode(c.password)];
    expect(dec(credentialsOf("mqtt://headend:p%40ss@a:1883,mqtt://other:x@b:1"))).toEqual(["headend", "p@ss"]);
    expect(credentialsOf("mqtt://a:1883")).toEqual({});
    const before = process.env.XSMETER_MQTT_PASSWORD;
    process.env.XSMETER_MQTT_PASSWORD = "from-env";
    try {
      expect(dec(credentialsOf("mqtt://headend@a:1883"))).toEqual(["headend", "from-env"]);
    } finally {
      if (before === undefined) delete process.env.XSMETER_MQTT_PASSWORD;
      else process.env.XSMETER_MQTT_PASSWORD = before;
    }
    expect(parseEndpoints("mqtt://headend:pw@a:1883")).toEqual([{ host: "a", port: 1883 }]);
  });

  it("never prints a password", () => {
    expect(redactUrls("mqtt://headend:s3cret@a:1883,mqtt://b:1,mqtt://u:v@c:2")).toBe("mqtt://headend:***@a:1883,mqtt://b:1,mqtt://u:***@c:2");
  });
});
