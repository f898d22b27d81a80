import { readFileSync, writeFileSync } from "node:fs";
import { deriveGlyphs, DERIVED } from "../ui/font-derive";
import { SCREENS, type ScreenName } from "../../../modules/ui/display-app";
import { createDisplayMirror, demoDisplay, DISPLAY_SIZES, parseSize } from "../ui/display-mirror";
import { UsageError, type Command } from "./command";

export const uiCommand: Command = {
  name: "ui render",
  summary: "render a screen of the touch display (demo household, fixed date) to a PNG",
  usage: `xsmeter ui render SCREEN --out FILE.png [--size ${DISPLAY_SIZES.join("|")}|all]   SCREEN: ${SCREENS.join(", ")}; all: FILE-320x240.png, FILE-480x320.png, FILE-240x320.png`,
  async run(args) {
    const screen = args[0] as ScreenName;
    if (!SCREENS.includes(screen)) throw new UsageError(`ui render: SCREEN must be one of ${SCREENS.join(", ")}`);
    const out = args[args.indexOf("--out") + 1];
    if (!args.includes("--out") || !out) throw new UsageError("ui render: --out FILE.png is required");
    const asked = args.includes("--size") ? args[args.indexOf("--size") + 1] ?? "" : "320x240";
    const sizes = asked === "all" ? [...DISPLAY_SIZES] : [asked];
    for (const text of sizes) {
      let size;
      try {
        size = parseSize(text);
      } catch (e) {
        throw new UsageError(`ui render: ${(e as Error).message}`);
      }
      const { household, clock } = demoDisplay();
      const mirror = createDisplayMirror(household, clock, size);
      mirror.app.show(screen);
      const file = asked === "all" ? out.replace(/(\.png)?$/i, `-${text}.png`) : out;
      writeFileSync(file, mirror.png());
      console.log(`${screen} ${size.width}x${size.height} -> ${file}`);
    }
    return 0;
  },
};

export const uiFontDeriveCommand: Command = {
  name: "ui font-derive",
  summary: `add the glyphs ${DERIVED} (built from the font's own) to font modules written by font-gen`,
  usage: "xsmeter ui font-derive modules/ui/fonts/sans-16.ts [...]   (rewrites each file; glyphs already there stay)",
  async run(args) {
    if (!args.length) throw new UsageError("ui font-derive: name at least one font module");
    for (const f of args) {
      writeFileSync(f, deriveGlyphs(readFileSync(f, "utf8")));
      console.log(`${f}: ${DERIVED} present`);
    }
    return 0;
  },
};
