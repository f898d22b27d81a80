import { describe, expect, it } from "vitest";
import { drawText, textWidth } from "../../modules/ui/font";
import { SANS_16 } from "../../modules/ui/fonts/sans-16";
import { SANS_20 } from "../../modules/ui/fonts/sans-20";
import { SANS_28 } from "../../modules/ui/fonts/sans-28";
import { DIGITS_52 } from "../../modules/ui/fonts/digits-52";
import { RasterCanvas } from "../../modules/ui/raster-canvas";

describe("bitmap fonts", () => {
  it("cover printable ASCII (text fonts) and the digits and units (large font)", () => {
    for (const f of [SANS_16, SANS_20, SANS_28]) for (let c = 32; c < 127; c++) expect(f.ascii[c], `${f.name} ${c}`).toBeGreaterThanOrEqual(0);
    for (const ch of "0123456789.,-+:%kWh ") expect(DIGITS_52.ascii[ch.charCodeAt(0)]).toBeGreaterThanOrEqual(0);
    expect(SANS_16.lineHeight).toBeLessThan(SANS_20.lineHeight);
    expect(SANS_28.lineHeight).toBeLessThan(DIGITS_52.lineHeight);
  });

  it("draws ink only inside the measured text box, and more ink for more text", () => {
    const ink = (text: string) => {
      const c = new RasterCanvas(200, 40);
      c.begin();
      drawText(c, text, SANS_20, 0xffff, 10, 5);
      c.end();
      let n = 0;
      c.pixels.forEach((p, i) => {
        if (!p) return;
        n++;
        const x = i % 200, y = Math.floor(i / 200);
        expect(x).toBeGreaterThanOrEqual(9);
        expect(x).toBeLessThan(10 + textWidth(text, SANS_20) + 2);
        expect(y).toBeGreaterThanOrEqual(5);
        expect(y).toBeLessThan(5 + SANS_20.lineHeight);
      });
      return n;
    };
    expect(ink(" ")).toBe(0);
    expect(ink("1")).toBeGreaterThan(10);
    expect(ink("88")).toBeGreaterThan(ink("8"));
    expect(textWidth("88", SANS_20)).toBe(2 * textWidth("8", SANS_20));
  });

  it("ends text that does not fit with an ellipsis within the width", () => {
    const c = new RasterCanvas(300, 30);
    c.begin();
    drawText(c, "a very long label that cannot fit", SANS_16, 0xffff, 0, 0, 80);
    c.end();
    let maxX = -1;
    c.pixels.forEach((p, i) => { if (p) maxX = Math.max(maxX, i % 300); });
    expect(maxX).toBeLessThan(82);
    expect(maxX).toBeGreaterThan(40);
  });
});
