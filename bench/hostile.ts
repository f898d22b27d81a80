// bench:hostile — every hostile-input benchmark of issue 14, one section each, in one run.
// A section is a module exporting `run(): Promise<Record<string, number>>` (and optionally
// `print`). Adding one is an import line and its name in SECTIONS, e.g. for the CAN/MQTT side:
//   import * as net from "./hostile-net";   … const SECTIONS = { http, net };
import * as http from "./hostile-http";
import * as net from "./hostile-net";
import * as headend from "./hostile-headend";

interface Section {
  run(): Promise<Record<string, number>>;
  print?(r: Record<string, number>): void;
}

const SECTIONS: Record<string, Section> = { http, net, headend };

const json: Record<string, Record<string, number>> = {};
for (const [name, section] of Object.entries(SECTIONS)) {
  const r = await section.run();
  json[name] = r;
  if (process.argv.includes("--json")) continue;
  console.log(`\n== hostile ${name} ==`);
  if (section.print) section.print(r);
  else for (const [k, v] of Object.entries(r)) console.log(`${k.padEnd(44)}${Number.isInteger(v) ? v : v.toFixed(3)}`);
}
if (process.argv.includes("--json")) console.log(JSON.stringify(json));
