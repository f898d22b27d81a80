import { describe, expect, it } from "vitest";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
import { MINUTE } from "../../modules/core/clock";
import { SCREENS } from "../../modules/ui/display-app";
import { createDisplayMirror, demoDisplay } from "../../hosts/node/ui/display-mirror";
import { FramebufferCanvas } from "../../hosts/node/ui/framebuffer";
import { decodePng, encodePngRgb565 } from "../../hosts/node/ui/png";

const GOLDEN = join(__dirname, "golden");
const SIZES = [{ width: 320, height: 240 }, { width: 480, height: 320 }, { width: 240, height: 320 }];

/** RGB565 -> 8-bit channels by bit replication, written out from the definition. */
function expand(c: number): number[] {
  const r5 = c >> 11, g6 = (c >> 5) & 63, b5 = c & 31;
  return [Math.floor((r5 * 255 + 15) / 31), Math.floor((g6 * 255 + 31) / 63), Math.floor((b5 * 255 + 15) / 31)];
}

describe("PNG codec", () => {
  it("round-trips RGB565 pixels and rejects corrupt files", () => {
    const px = new Uint16Array(37 * 11);
    for (let i = 0; i < px.length; i++) px[i] = (i * 2654435761) >>> 16;
    const png = encodePngRgb565(px, 37, 11);
    const d = decodePng(png);
    expect([d.width, d.height]).toEqual([37, 11]);
    let bad = 0;
    for (let i = 0; i < px.length; i++) {
      const e = expand(px[i]);
      // bit replication equals rounding for 5 and 6 bits except off-by-one cases; allow none above 1
      for (let k = 0; k < 3; k++) if (Math.abs(d.rgba[i * 4 + k] - e[k]) > 1) bad++;
      if (d.rgba[i * 4 + 3] !== 255) bad++;
    }
    expect(bad).toBe(0);
    const flipped = png.slice();
    flipped[40] ^= 1;
    expect(() => decodePng(flipped)).toThrow(/CRC|corrupt/);
    expect(() => decodePng(png.subarray(0, png.length - 20))).toThrow(/truncated|IEND/);
    expect(() => decodePng(new Uint8Array(8))).toThrow(/signature/);
  });

  it("decodes a filtered grayscale image written independently", () => {
    // 3x2 gray, rows with filter 1 (sub) and 2 (up), built by hand
    const raw = Uint8Array.of(1, 10, 5, 5, 2, 1, 1, 1);
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(3, 0); ihdr.writeUInt32BE(2, 4); ihdr[8] = 8; ihdr[9] = 0;
    const chunk = (type: string, data: Buffer) => {
      const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
      const body = Buffer.concat([Buffer.from(type), data]);
      const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32Ref(body));
      return Buffer.concat([len, body, crc]);
    };
    const png = Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk("IHDR", ihdr), chunk("IDAT", deflateSync(raw)), chunk("IEND", Buffer.alloc(0))]);
    const d = decodePng(new Uint8Array(png));
    expect([...d.rgba].filter((_, i) => i % 4 === 0)).toEqual([10, 15, 20, 11, 16, 21]);
  });
});

function crc32Ref(b: Buffer): number {
  let c = ~0;
  for (const x of b) {
    c ^= x;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

describe("framebuffer canvas", () => {
  it("clips to the begun rectangle and counts what it touched", () => {
    const fb = new FramebufferCanvas(20, 10);
    fb.begin(5, 2, 4, 3);
    fb.fillRectangle(0xffff, 0, 0, 20, 10);
    fb.end();
    let set = 0;
    fb.pixels.forEach((p, i) => {
      if (p) {
        set++;
        const x = i % 20, y = Math.floor(i / 20);
        expect(x >= 5 && x < 9 && y >= 2 && y < 5).toBe(true);
      }
    });
    expect(set).toBe(12);
    expect(fb.pixelsWritten).toBe(12);
    expect(() => fb.fillRectangle(1, 0, 0, 1, 1)).toThrow(/outside begin/);
  });

  it("blends a rectangle halfway between two colours", () => {
    const fb = new FramebufferCanvas(2, 1);
    fb.begin();
    fb.fillRectangle(fb.makeColor(0, 0, 0), 0, 0, 2, 1);
    fb.blendRectangle(fb.makeColor(255, 255, 255), 128, 0, 0, 1, 1);
    fb.end();
    const p = fb.pixels[0];
    expect(p >> 11).toBeGreaterThanOrEqual(15);
    expect(p >> 11).toBeLessThanOrEqual(16);
    expect(fb.pixels[1]).toBe(0);
  });
});

describe("screens (golden PNGs, exact pixels)", () => {
  for (const size of SIZES) {
    for (const screen of SCREENS) {
      it(`${screen} ${size.width}x${size.height}`, () => {
        const { household, clock } = demoDisplay();
        const m = createDisplayMirror(household, clock, size);
        m.app.show(screen);
        const png = m.png();
        const file = join(GOLDEN, `${screen}-${size.width}x${size.height}.png`);
        if (process.env.UPDATE_GOLDEN === "1" || !existsSync(file)) {
          if (process.env.UPDATE_GOLDEN !== "1") throw new Error(`no golden ${file}; run with UPDATE_GOLDEN=1`);
          writeFileSync(file, png);
        }
        const golden = decodePng(new Uint8Array(readFileSync(file)));
        expect([golden.width, golden.height]).toEqual([size.width, size.height]);
        let diff = 0;
        for (let i = 0; i < m.canvas.pixels.length; i++) {
          const e = expand(m.canvas.pixels[i]);
          for (let k = 0; k < 3; k++) if (Math.abs(golden.rgba[i * 4 + k] - e[k]) > 1) diff++;
        }
        expect(diff).toBe(0);
        // and the PNG we write decodes to exactly the golden's pixels
        expect(Buffer.from(decodePng(png).rgba).equals(Buffer.from(golden.rgba))).toBe(true);
      });
    }
  }
});

describe("dirty rectangles", () => {
  it("a changing number redraws only its own rectangle", () => {
    const { household, clock, demo } = demoDisplay(false);
    const m = createDisplayMirror(household, clock, { width: 320, height: 240 });
    m.png();
    const full = m.canvas.pixelsWritten;
    expect(full).toBeGreaterThanOrEqual(320 * 240);
    m.canvas.resetStats();
    m.app.render();
    expect(m.canvas.pixelsWritten).toBe(0); // nothing changed, nothing drawn
    clock.advance(MINUTE);
    demo.tick();
    const before = m.canvas.pixels.slice();
    m.app.render();
    expect(m.canvas.regions.length).toBeGreaterThan(0);
    // the regions are widget rectangles (the big power number is the largest, ~185x71), never the screen
    for (const r of m.canvas.regions) expect(r.w * r.h).toBeLessThan((320 * 240) / 5);
    expect(m.canvas.regions.length).toBeLessThanOrEqual(6);
    expect(m.canvas.pixelsWritten).toBeLessThan((320 * 240) / 3);
    // every changed pixel lies inside a region that was begun
    m.canvas.pixels.forEach((p, i) => {
      if (p === before[i]) return;
      const x = i % 320, y = Math.floor(i / 320);
      expect(m.canvas.regions.some((r) => x >= r.x && y >= r.y && x < r.x + r.w && y < r.y + r.h)).toBe(true);
    });
  });
});

describe("touch", () => {
  it("navigates with the tab bar, switches a load off and on, schedules one from a long press", () => {
    const { household, clock, demo } = demoDisplay(false);
    const m = createDisplayMirror(household, clock, { width: 480, height: 320 });
    m.png();
    const where = (text: string) => {
      const r = m.app.texts().find((x) => x.text === text)?.r;
      if (!r) throw new Error(`"${text}" is not on the screen`);
      return { x: r.x + r.w / 2, y: r.y + r.h / 2 };
    };
    const tab = where("Load");
    m.touch(tab.x, tab.y, "tap");
    expect(m.app.current).toBe("loads");
    m.png();
    const oven = () => demo.store.snapshot().loads.find((l) => l.id === "oven")!;
    expect(oven().on).toBe(true);
    // the oven's switch is at the right end of its row
    const y = where("Oven").y;
    m.touch(480 - 40, y, "tap");
    expect(oven().on).toBe(false);
    expect(oven().powerW).toBe(0);
    const last = demo.store.snapshot().decisions.at(-1)!;
    expect([last.load, last.action, last.actor]).toEqual(["oven", "off", "display"]);
    m.touch(480 - 40, y, "tap");
    expect(oven().on).toBe(true);
    // the fridge (fixed) and the PV have no switch: a tap at the switch's place changes nothing
    const fridgeBefore = demo.store.snapshot().decisions.length;
    m.touch(480 - 40, where("Fridge").y, "tap");
    m.touch(480 - 40, where("PV inverter").y, "tap");
    expect(demo.store.snapshot().decisions.length).toBe(fridgeBefore);
    expect(m.app.texts().map((x) => x.text)).toEqual(expect.arrayContaining(["fixed", "PV"]));
    // long press on the EV row opens the dialog; its first button plans a 2 h run
    const ev = where("EV charger");
    m.touch(ev.x, ev.y, "long");
    m.png();
    const d = (m.app as unknown as { dialog: { buttons: { r: { x: number; y: number; w: number; h: number } }[] } }).dialog;
    const b = d.buttons[0].r;
    m.touch(b.x + b.w / 2, b.y + b.h / 2, "tap");
    const sched = demo.store.snapshot().decisions.at(-1)!;
    expect([sched.load, sched.action, sched.actor]).toEqual(["ev", "schedule", "display"]);
  });

  it("ignores touches off the screen or without a press, and a dialog blocks what is under it", () => {
    const { household, clock, demo } = demoDisplay(false);
    const m = createDisplayMirror(household, clock, { width: 320, height: 240 });
    m.app.show("loads");
    m.png();
    const before = JSON.stringify(demo.store.snapshot().loads.map((l) => l.on));
    m.touch(-5, -5, "tap");
    m.touch(5000, 100, "long");
    m.app.pointerUp(10, 10); // no pointerDown before it
    expect(m.app.current).toBe("loads");
    const oven = m.app.texts().find((x) => x.text === "Oven")!.r;
    m.touch(oven.x + 10, oven.y + oven.h / 2, "long"); // oven row: dialog
    m.png();
    // the oven's switch lies under the dialog: a tap there must not switch it
    m.touch(300, oven.y + oven.h / 2, "tap");
    expect(JSON.stringify(demo.store.snapshot().loads.map((l) => l.on))).toBe(before);
    expect(demo.store.snapshot().decisions.length).toBe(0);
  });

  it("the mirror re-encodes its PNG only after something changed", () => {
    const { household, clock, demo } = demoDisplay(false);
    const m = createDisplayMirror(household, clock, { width: 320, height: 240 });
    const a = m.png();
    expect(m.png()).toBe(a);
    m.touch(300, 230, "tap"); // the Alert tab
    const b = m.png();
    expect(b).not.toBe(a);
    expect(Buffer.from(b).equals(Buffer.from(a))).toBe(false);
    clock.advance(MINUTE);
    demo.tick();
    expect(m.png()).not.toBe(b); // the clock label changed
  });

  it("classifies raw pointer events into swipes, taps and long presses", () => {
    const { household, clock } = demoDisplay(false);
    const m = createDisplayMirror(household, clock, { width: 320, height: 240 });
    m.app.pointerDown(250, 120);
    m.app.pointerUp(100, 125);
    expect(m.app.current).toBe("power");
    m.app.pointerDown(100, 120);
    m.app.pointerUp(250, 118);
    expect(m.app.current).toBe("home");
    m.app.touch(100, 120, "swipe-right");
    expect(m.app.current).toBe("alarms");
    m.app.pointerDown(10, 230); // tab "Main"
    clock.advance(100);
    m.app.pointerUp(10, 230);
    expect(m.app.current).toBe("home");
  });
});
