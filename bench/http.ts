// bench:http — the web server on loopback: requests/s and p99 latency for the
// dashboard and the JSON API under load (a bounded number of requests over
// keep-alive connections), bytes per page, and memory per open connection.
import net from "node:net";
import v8 from "node:v8";
import vm from "node:vm";
import { DemoHousehold } from "../modules/app/demo-household";
import { startWebServer } from "../hosts/node/http/serve";
import { nodeClock } from "../hosts/node/node-clock";

// A real GC between heap readings, without needing node --expose-gc.
v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

const JSON_OUT = process.argv.includes("--json");
const clock = nodeClock();
const demo = new DemoHousehold(clock);
demo.tick();
const web = await startWebServer({ household: demo.store, port: 0, clock, limits: { maxConnections: 300, maxConnectionsPerAddress: 300 } }); // every client is on 127.0.0.1

/** One keep-alive client sending `n` requests one after another; returns latencies (ms). */
function client(path: string, n: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const lat: number[] = [];
    const sock = net.connect(web.port, "127.0.0.1");
    let buf = "";
    let t0 = 0;
    const send = (): void => {
      t0 = performance.now();
      sock.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: gzip\r\n\r\n`);
    };
    sock.on("connect", send);
    sock.on("error", reject);
    sock.on("data", (d) => {
      buf += d.toString("latin1");
      for (;;) {
        const end = buf.indexOf("\r\n\r\n");
        if (end < 0) return;
        const m = /Content-Length: (\d+)/i.exec(buf.slice(0, end));
        const len = m ? Number(m[1]) : 0;
        if (buf.length < end + 4 + len) return;
        buf = buf.slice(end + 4 + len);
        lat.push(performance.now() - t0);
        if (lat.length === n) {
          sock.destroy();
          return resolve(lat);
        }
        send();
      }
    });
  });
}

async function load(path: string, clients: number, perClient: number): Promise<{ rps: number; p50: number; p99: number }> {
  const t0 = performance.now();
  const all = (await Promise.all(Array.from({ length: clients }, () => client(path, perClient)))).flat();
  const secs = (performance.now() - t0) / 1000;
  all.sort((a, b) => a - b);
  const q = (p: number): number => all[Math.min(all.length - 1, Math.floor(p * all.length))];
  return { rps: Math.round(all.length / secs), p50: +q(0.5).toFixed(2), p99: +q(0.99).toFixed(2) };
}

async function size(path: string, gzip: boolean): Promise<number> {
  const r = await fetch(`${web.url}${path.slice(1)}`, { headers: gzip ? {} : { "Accept-Encoding": "identity" } });
  return Number(r.headers.get("content-length") ?? (await r.arrayBuffer()).byteLength);
}

async function memoryPerConnection(n: number): Promise<number> {
  gc();
  await new Promise((r) => setTimeout(r, 50));
  const before = process.memoryUsage().heapUsed;
  const socks = await Promise.all(Array.from({ length: n }, () => new Promise<net.Socket>((r) => {
    const s = net.connect(web.port, "127.0.0.1", () => { s.write("GET /api/live HTTP/1.1\r\nHost: 127.0.0.1\r\n"); r(s); });
  })));
  await new Promise((r) => setTimeout(r, 200));
  gc();
  const after = process.memoryUsage().heapUsed;
  for (const s of socks) s.destroy();
  return Math.round((after - before) / n);
}

const CLIENTS = 8;
const PER = 250;
const dash = await load("/", CLIENTS, PER);
const api = await load("/api/live", CLIENTS, PER);
const snap = await load("/api/snapshot", CLIENTS, PER);
const css = await load("/static/style.css", CLIENTS, PER);
const bytes = {
  dashboard: await size("/", false),
  control: await size("/control", false),
  graphDay: await size("/graph?series=load:oven&range=day", false),
  apiLive: await size("/api/live", false),
  apiSnapshot: await size("/api/snapshot", false),
  styleGzip: await size("/static/style.css", true),
  styleRaw: await size("/static/style.css", false),
};
const memConn = await memoryPerConnection(200);
await web.close();

const rows: [string, string][] = [
  ["dashboard  req/s | p50 | p99 ms", `${dash.rps} | ${dash.p50} | ${dash.p99}`],
  ["/api/live  req/s | p50 | p99 ms", `${api.rps} | ${api.p50} | ${api.p99}`],
  ["/api/snapshot req/s | p50 | p99", `${snap.rps} | ${snap.p50} | ${snap.p99}`],
  ["static css (gzip) req/s | p99", `${css.rps} | ${css.p99}`],
  ...Object.entries(bytes).map(([k, v]) => [`bytes ${k}`, String(v)] as [string, string]),
  ["heap per open connection (B)", String(memConn)],
];
console.log(`bench:http — ${CLIENTS} keep-alive clients × ${PER} requests each, loopback, Node ${process.version}`);
for (const [k, v] of rows) console.log(`  ${k.padEnd(34)} ${v}`);
if (JSON_OUT) console.log(JSON.stringify({ clients: CLIENTS, perClient: PER, dashboard: dash, apiLive: api, apiSnapshot: snap, staticCss: css, bytes, heapPerConnectionBytes: memConn }));
process.exit(0);
