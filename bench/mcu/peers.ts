// The tiny peers of bench:mcu's role runs: what is outside the role under test, kept small so the
// machine holds (almost) only the role. Slaves answering the aggregator's polls (a CanSlave each,
// readings from a formula, no front end or journal), a master polling a slave (CanMaster + CanLink
// as the aggregator runs them), a browser with the dashboard open, and an MQTT broker.
import type { Clock } from "../../modules/core/clock";
import type { Network, Socket } from "../../modules/core/ports";
import type { CanPort } from "../../modules/can/can-port";
import { CanSlave } from "../../modules/can/slave";
import { CanMaster } from "../../modules/can/master";
import { CanLink, pq10Answer } from "../../modules/app/can-link";
import { emptyReadings, type MeterReadings } from "../../modules/app/readings";
import { FlashCounterStore } from "../../modules/secure/counter-store";
import { encodePacket, MqttDecoder, type Packet, type ProtocolVersion } from "../../modules/mqtt/codec";
import { utf8Encode } from "../../modules/core/bytes";
import { slaveReading } from "../../hosts/esp32/slave-answers";
import { boardAes, type BoardFlash } from "./mcu-host";

/** A slave on the bus that only answers: its readings move with time (a formula per id), updated once a second. */
export function answeringSlave(port: CanPort, id: number, networkKey: Uint8Array, clock: Clock, flash: BoardFlash): CanSlave {
  const r: MeterReadings = emptyReadings(clock.now());
  const update = (): void => {
    const t = clock.now();
    r.t = t;
    r.voltageV = 230 + 2 * Math.sin(t / 60_000 + id);
    r.currentA = 2 + id + Math.sin(t / 30_000 + id);
    r.powerW = r.voltageV * r.currentA * 0.95;
    r.reactiveVar = r.powerW * 0.33;
    r.powerFactor = 0.95;
    r.frequencyHz = 50;
    r.importWh += r.powerW / 3600; // one second of it
  };
  update();
  clock.every(1000, update);
  const reading = slaveReading(() => r);
  return new CanSlave(port, { node: id, networkKey, store: new FlashCounterStore(flash.take(8192)), read: (code) => pq10Answer(code, () => undefined) ?? reading(code), clock, cipher: boardAes });
}

/** The aggregator's side of the bus for a slave run: its CanMaster and CanLink, one cycle a second (the PQ10 fetch after each 10-min boundary). */
export function pollingMaster(port: CanPort, ids: number[], networkKey: Uint8Array, clock: Clock, flash: BoardFlash): { master: CanMaster; link: CanLink } {
  const master = new CanMaster(port, { clock, networkKey, store: new FlashCounterStore(flash.take(8192)), slaves: ids, timeoutMs: 20, cipher: boardAes });
  const link = new CanLink(master);
  clock.every(1000, () => link.endCycle(clock.now()));
  return { master, link };
}

const ASCII = (bytes: Uint8Array, from = 0, to = bytes.length): string => {
  let s = "";
  for (let i = from; i < to; i++) s += String.fromCharCode(bytes[i]);
  return s;
};

/**
 * A browser with the household page open, as modules/http/assets/live.js drives it: the page and its
 * two assets once, the live values over /events (Server-Sent Events; reconnecting 3 s after the
 * server ends a stream), and each `data-refresh` figure of the page again every minute.
 */
export class BrowserPeer {
  readonly stats = { requests: 0, ok: 0, failed: 0, bytes: 0, eventChunks: 0, streams: 0, refreshUrls: 0 };
  private refresh: string[] = [];

  constructor(private readonly net: Network, private readonly clock: Clock, private readonly port: number, private readonly host = "192.168.1.10") {}

  start(): void {
    this.get("/", (page) => {
      const found = page.match(/data-refresh="[^"]+"/g) ?? [];
      this.refresh = found.map((a) => a.slice(14, -1).replace(/&amp;/g, "&"));
      this.stats.refreshUrls = this.refresh.length;
      this.get("/static/live.js");
      this.get("/static/style.css");
      this.openStream();
      this.clock.every(60_000, () => { for (const u of this.refresh) this.get(u); });
    });
  }

  /** One GET on a fresh connection (Connection: close); `done` gets the body when the status is 200 and it is asked for. */
  private get(path: string, done?: (body: string) => void): void {
    this.stats.requests++;
    let head = "", status = 0;
    const body: string[] = [];
    const socket: Socket = this.net.connect(this.host, this.port, {
      onConnect: () => void socket.write(utf8Encode(`GET ${path} HTTP/1.1\r\nHost: ${this.host}\r\nAccept: */*\r\nConnection: close\r\n\r\n`)),
      onData: (bytes) => {
        this.stats.bytes += bytes.length;
        if (status === 0) {
          head += ASCII(bytes, 0, Math.min(bytes.length, 16));
          status = Number(head.slice(9, 12)) || -1;
        }
        if (done) body.push(ASCII(bytes));
      },
      onClose: () => {
        if (status === 200) this.stats.ok++;
        else this.stats.failed++;
        if (done && status === 200) done(body.join(""));
      },
    });
  }

  private openStream(): void {
    this.stats.streams++;
    let first = true;
    const socket: Socket = this.net.connect(this.host, this.port, {
      onConnect: () => void socket.write(utf8Encode(`GET /events HTTP/1.1\r\nHost: ${this.host}\r\nAccept: text/event-stream\r\n\r\n`)),
      onData: (bytes) => {
        this.stats.bytes += bytes.length;
        if (first) first = false;
        else this.stats.eventChunks++;
      },
      onClose: () => void this.clock.after(3000, () => this.openStream()),
    });
  }
}

/** An MQTT broker that accepts one client: CONNACK, SUBACK, PUBACK for QoS 1, PINGRESP; counts what it got. */
export class BrokerPeer {
  readonly stats = { connects: 0, publishes: 0, subscribes: 0, pings: 0, bytes: 0 };

  constructor(net: Network, private readonly clock: Clock, port: number) {
    void net.listen(port, (socket) => {
      const decoder = new MqttDecoder();
      return {
        onData: (bytes) => {
          this.stats.bytes += bytes.length;
          for (const p of decoder.push(bytes)) this.answer(socket, p, decoder.protocolVersion);
        },
        onClose: () => {},
      };
    });
  }

  private answer(socket: Socket, p: Packet, version: ProtocolVersion): void {
    const send = (q: Packet) => void socket.write(encodePacket(q, version));
    if (p.cmd === "connect") { this.stats.connects++; send({ cmd: "connack", sessionPresent: false, returnCode: 0 }); }
    else if (p.cmd === "subscribe") { this.stats.subscribes++; send({ cmd: "suback", messageId: p.messageId, granted: p.subscriptions.map(() => 1) }); }
    else if (p.cmd === "publish") { this.stats.publishes++; if (p.qos === 1) send({ cmd: "puback", messageId: p.messageId! }); }
    else if (p.cmd === "pingreq") { this.stats.pings++; send({ cmd: "pingresp" }); }
  }
}
