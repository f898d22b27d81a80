import { DemoHousehold } from "../../../modules/app/demo-household";
import { startWebServer } from "../http/serve";
import { UsageError, type Command } from "./command";
import { nodeClock } from "../node-clock";

/** Serves the web page over the demo household, for looking at the pages by hand. */
export const webCommand: Command = {
  name: "web",
  summary: "serve the household web page over the demo household (manual checks)",
  usage: "xsmeter web [--http-port P] [--host H] [--closed]   (default port 8080; --closed: reading needs sign-in)",
  async run(args) {
    let port = 8080;
    let host = "127.0.0.1";
    for (let i = 0; i < args.length; i++) {
      if (args[i] === "--http-port") port = Number(args[++i]);
      else if (args[i] === "--host") host = args[++i];
      else if (args[i] !== "--closed") throw new UsageError(`web: unknown option ${args[i]}`);
    }
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError("web: --http-port must be 0..65535");
    const clock = nodeClock();
    const demo = new DemoHousehold(clock);
    demo.tick();
    const ticker = clock.every(1000, () => demo.tick());
    const web = await startWebServer({ household: demo.store, port, host, clock, readOpen: !args.includes("--closed"), onSetupCode: (code) => console.log(`xsmeter web: setup code ${code} (asked for by the first-use page)`) });
    console.log(`xsmeter web: ${web.url}  (Ctrl-C to stop)`);
    await new Promise<void>((resolve) => process.once("SIGINT", () => resolve()));
    await web.close();
    clock.cancel(ticker); // else the demo's ticker keeps the process alive after Ctrl-C
    return 0;
  },
};
