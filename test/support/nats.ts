// Debian's nats-server (2.9) for tests: a cluster of nodes on loopback, each with JetStream (the
// MQTT endpoint keeps sessions and QoS 1 messages in JetStream streams, replicated across the
// cluster by mqtt.stream_replicas) and an MQTT 3.1.1 listener; free ports, a temporary directory.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../hosts/node/free-port";

export interface NatsNode {
  name: string;
  client: number;
  cluster: number;
  mqtt: number;
  proc?: ChildProcess;
}

export class NatsCluster {
  readonly dir = mkdtempSync(join(tmpdir(), "xsm-nats-"));
  nodes: NatsNode[] = [];

  async init(n: number): Promise<void> {
    for (let i = 0; i < n; i++) this.nodes.push({ name: `n${i + 1}`, client: await freePort(), cluster: await freePort(), mqtt: await freePort() });
    for (const node of this.nodes) {
      const routes = this.nodes.filter((x) => x !== node).map((x) => `"nats-route://127.0.0.1:${x.cluster}"`).join(", ");
      writeFileSync(join(this.dir, `${node.name}.conf`), `server_name: ${node.name}
listen: 127.0.0.1:${node.client}
jetstream { store_dir: "${join(this.dir, node.name)}", max_memory_store: 64MB, max_file_store: 256MB }
cluster { name: xsm, listen: 127.0.0.1:${node.cluster}, routes: [${routes}] }
mqtt { listen: 127.0.0.1:${node.mqtt}, stream_replicas: ${this.nodes.length}, ack_wait: "5s" }
`);
    }
  }

  url(i: number): string {
    return `mqtt://127.0.0.1:${this.nodes[i].mqtt}`;
  }

  async start(i: number): Promise<void> {
    const node = this.nodes[i];
    node.proc = spawn("nats-server", ["-c", join(this.dir, `${node.name}.conf`), "-l", join(this.dir, `${node.name}.log`)], { stdio: "ignore" });
    for (let k = 0; k < 200; k++) {
      const up = await new Promise<boolean>((r) => { const s = connect(node.mqtt, "127.0.0.1"); s.on("connect", () => { s.destroy(); r(true); }); s.on("error", () => r(false)); });
      if (up) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`nats-server ${node.name} did not open its MQTT port (log ${this.dir}/${node.name}.log)`);
  }

  async kill(i: number, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const p = this.nodes[i].proc;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((r) => { p.once("exit", () => r()); p.kill(signal); });
  }

  async stopAll(): Promise<void> {
    for (let i = 0; i < this.nodes.length; i++) await this.kill(i, "SIGTERM");
    // KEEP_NATS=1 keeps the directory (the nodes' logs) for a look after a failure
    if (!process.env.KEEP_NATS) rmSync(this.dir, { recursive: true, force: true });
  }
}
