import { createServer } from "node:http";
import type { Household } from "../../../modules/core/household";

/**
 * SEAM for the http room's startWebServer (hosts/node/http/serve.ts), used
 * only while that part has not landed: a bare page that polls /api/snapshot
 * and shows meters, loads, prices and decisions, so `npm start` always shows
 * the household. Same signature shape: resolves to { port, url, close }.
 */
export interface MirrorPort {
  png(): Uint8Array;
  touch(x: number, y: number, kind: "tap" | "long" | "swipe-left" | "swipe-right"): void;
}

export async function startFallbackWebServer(opts: { household: Household; port: number; host?: string; display?: MirrorPort }): Promise<{ port: number; url: string; close(): Promise<void> }> {
  const host = opts.host ?? "127.0.0.1";
  const server = createServer((req, res) => {
    if (req.url?.startsWith("/display.png") && opts.display) {
      res.writeHead(200, { "content-type": "image/png", "cache-control": "no-store" });
      res.end(opts.display.png());
      return;
    }
    if (req.url === "/display/touch" && req.method === "POST" && opts.display) {
      let body = "";
      req.on("data", (d) => {
        body += d;
        if (body.length > 1024) req.destroy();
      });
      req.on("end", () => {
        try {
          const m = JSON.parse(body) as { x?: unknown; y?: unknown; kind?: unknown };
          const kind = m.kind ?? "tap";
          if (typeof m.x !== "number" || typeof m.y !== "number" || !["tap", "long", "swipe-left", "swipe-right"].includes(kind as string)) throw new Error("bad touch");
          opts.display!.touch(m.x, m.y, kind as "tap");
          res.writeHead(204);
          res.end();
        } catch {
          res.writeHead(400, { "content-type": "text/plain" });
          res.end("want {x, y, kind}\n");
        }
      });
      return;
    }
    if (req.url === "/api/snapshot") {
      res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
      res.end(JSON.stringify(opts.household.snapshot()));
      return;
    }
    if (req.url === "/" || req.url === "/index.html") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(PAGE);
      return;
    }
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("not found\n");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : opts.port;
  return {
    port,
    url: `http://${host}:${port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>xsmeter household</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:14px system-ui,sans-serif;margin:1.5em;background:#f6f7f9;color:#222}h1{font-size:1.3em}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:1em}section{background:#fff;border-radius:8px;padding:1em;box-shadow:0 1px 3px #0002}
table{border-collapse:collapse;width:100%}td,th{padding:2px 6px;text-align:right}td:first-child,th:first-child{text-align:left}
.off{color:#999}.big{font-size:1.8em;font-weight:600}#prices{width:100%;height:120px}</style></head><body>
<h1>xsmeter — simulated household</h1><div id="clock"></div>
<div class="grid">
<section><h2>Now</h2><div class="big" id="total"></div><div id="today"></div><div id="tariff"></div><div id="grid"></div></section>
<section><h2>Meters</h2><table id="meters"></table></section>
<section><h2>Loads</h2><table id="loads"></table></section>
<section><h2>Day-ahead prices (ct/kWh)</h2><canvas id="prices" width="600" height="120"></canvas></section>
<section><h2>Bill today</h2><table id="bill"></table></section>
<section><h2>Decisions</h2><table id="decisions"></table></section>
<section><h2>Bus</h2><div id="bus"></div></section>
<section><h2>Display</h2><img id="display" src="/display.png" alt="the meter's display" style="image-rendering:pixelated;cursor:pointer;max-width:100%"><div style="color:#666">click = tap, shift-click = long press, alt-click = swipe</div></section>
</div>
<script>
const C={p:"1-0:16.7.0",v:"1-0:32.7.0",i:"1-0:31.7.0",f:"1-0:14.7.0",pf:"1-0:13.7.0"};
const esc=s=>String(s).replace(/[&<>"]/g,c=>({"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;"}[c]));
const t=ms=>new Date(ms).toISOString().slice(11,19);
async function tick(){const s=await (await fetch("/api/snapshot")).json();
document.getElementById("clock").textContent=new Date(s.t).toISOString().replace("T"," ").slice(0,19)+" UTC";
const total=s.meters.reduce((a,m)=>a+(m.values[C.p]||0),0);
document.getElementById("total").textContent=(total>=0?"importing ":"exporting ")+Math.abs(total).toFixed(0)+" W";
document.getElementById("today").textContent="today: "+(s.energyTodayWh/1000).toFixed(2)+" kWh in, "+(s.exportTodayWh/1000).toFixed(2)+" kWh out";
document.getElementById("tariff").textContent="price now: "+s.tariffNow.importMinorPerKWh.toFixed(2)+" ct/kWh";
document.getElementById("grid").textContent="renewables "+Math.round(s.grid.renewableShare*100)+" %, co-generator "+s.grid.cogenerator;
document.getElementById("meters").innerHTML="<tr><th>meter</th><th>W</th><th>V</th><th>A</th><th>Hz</th><th>PF</th></tr>"+s.meters.map(m=>"<tr class="+(m.online?"":"off")+"><td>"+esc(m.name)+"</td><td>"+(m.values[C.p]??0).toFixed(0)+"</td><td>"+(m.values[C.v]??0).toFixed(1)+"</td><td>"+(m.values[C.i]??0).toFixed(2)+"</td><td>"+(m.values[C.f]??0).toFixed(3)+"</td><td>"+(m.values[C.pf]??0).toFixed(2)+"</td></tr>").join("");
document.getElementById("loads").innerHTML="<tr><th>load</th><th>relay</th><th>W</th><th>plan</th></tr>"+s.loads.map(l=>"<tr><td>"+esc(l.name)+"</td><td>"+(l.on?"on":"off")+"</td><td>"+l.powerW.toFixed(0)+"</td><td>"+(l.run?esc(l.run.state+" "+t(l.run.startAt)):"")+"</td></tr>").join("");
document.getElementById("bill").innerHTML=s.bill.lines.map(b=>"<tr><td>"+esc(b.label)+"</td><td>"+(b.quantity??"")+" "+esc(b.unit??"")+"</td><td>"+(b.amountMinor/100).toFixed(2)+" "+s.bill.currency+"</td></tr>").join("")+"<tr><th>total</th><td></td><th>"+(s.bill.totalMinor/100).toFixed(2)+" "+s.bill.currency+"</th></tr>";
document.getElementById("decisions").innerHTML=s.decisions.slice(-8).reverse().map(d=>"<tr><td>"+t(d.t)+"</td><td>"+esc(d.load)+"</td><td>"+esc(d.action)+"</td><td style='text-align:left'>"+esc(d.reason)+"</td></tr>").join("");
document.getElementById("bus").textContent="cycles "+s.bus.cycles+", frames "+s.bus.framesOk+", auth failures "+s.bus.authFailures+", missing "+(s.bus.missing.join(", ")||"none");
const cv=document.getElementById("prices"),g=cv.getContext("2d");g.clearRect(0,0,cv.width,cv.height);const ps=s.prices;const max=Math.max(...ps.map(p=>p.importMinorPerKWh),1);const w=cv.width/ps.length;
ps.forEach((p,k)=>{const h=p.importMinorPerKWh/max*(cv.height-14);g.fillStyle=(s.t>=p.start&&s.t<p.start+p.durationMs)?"#d33":"#48c";g.fillRect(k*w,cv.height-h,Math.max(1,w-1),h)});g.fillStyle="#222";g.fillText(max.toFixed(1),2,10);}
const img=document.getElementById("display");
img.addEventListener("click",async e=>{const r=img.getBoundingClientRect();const x=Math.round((e.clientX-r.left)*img.naturalWidth/r.width),y=Math.round((e.clientY-r.top)*img.naturalHeight/r.height);
await fetch("/display/touch",{method:"POST",headers:{"content-type":"application/json"},body:JSON.stringify({x,y,kind:e.shiftKey?"long":e.altKey?"swipe-left":"tap"})});img.src="/display.png?"+Date.now();});
setInterval(()=>{img.src="/display.png?"+Date.now()},2000);
tick();setInterval(tick,1000);
</script></body></html>`;
