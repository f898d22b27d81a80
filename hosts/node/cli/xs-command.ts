import { resolve } from "node:path";
import { existsSync } from "node:fs";
import { bundleForXs, projectRoot, XsEngine } from "../xs/runner";
import { UsageError, type Command } from "./command";

export const xsCommand: Command = {
  name: "xs run",
  summary: "run an XS conformance scenario inside the XS engine and print its result and computrons",
  usage: "xsmeter xs run SCENARIO   (a name from test/xs/scenarios, e.g. core-obis)",
  async run(args) {
    const name = args[0];
    if (!name) throw new UsageError("xs run: name a scenario");
    const file = resolve(projectRoot(), "test/xs/scenarios", `${name}.ts`);
    if (!existsSync(file)) throw new UsageError(`xs run: no scenario ${name} (looked for ${file})`);
    const bundle = await bundleForXs(file, "__scenario");
    const xs = await XsEngine.start();
    try {
      await xs.load(bundle);
      const r = await xs.evaluate("__scenario.run()");
      console.log(JSON.stringify({ scenario: name, computrons: r.meter.compute, heapSlots: r.meter.heapCount, result: r.value }));
    } finally {
      await xs.close();
    }
    return 0;
  },
};
