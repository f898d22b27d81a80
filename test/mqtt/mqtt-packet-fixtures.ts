// Loads the fixtures of the mqtt-packet package's own test suite (node_modules/mqtt-packet/test.js)
// without running tape: its helper functions are replaced by recorders, and its top-level test()
// calls become no-ops. Each fixture keeps the helper's kind, name, object, bytes and options.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

export interface Fixture {
  kind: "parseGenerate" | "generateOnly" | "parseOnly" | "parseError" | "generateError" | "parseGenerateDefaults" | "parseAndGenerate" | "generateErrorMultipleCmds" | "writeToStreamError";
  name: string;
  object?: any;
  buffer?: Buffer;
  opts?: any;
}

export function loadFixtures(): Fixture[] {
  const require = createRequire(import.meta.url);
  const file = require.resolve("mqtt-packet/test.js");
  const src = readFileSync(file, "utf8");
  const start = src.indexOf("function normalExpectedObject");
  const end = src.indexOf("test('cacheNumbers");
  if (start < 0 || end < 0) throw new Error("mqtt-packet/test.js changed shape: helper block not found");
  const recorders = `
    function testParseGenerate (name, object, buffer, opts) { __out.push({ kind: 'parseGenerate', name, object, buffer, opts }) }
    function testGenerateOnly (name, object, buffer, opts) { __out.push({ kind: 'generateOnly', name, object, buffer, opts }) }
    function testParseOnly (name, object, buffer, opts) { __out.push({ kind: 'parseOnly', name, object, buffer, opts }) }
    function testParseError (expected, fixture, opts) { __out.push({ kind: 'parseError', name: expected, buffer: fixture, opts }) }
    function testGenerateError (expected, fixture, opts, name) { __out.push({ kind: 'generateError', name: name || expected, object: fixture, opts }) }
    function testGenerateErrorMultipleCmds (cmds, expected, fixture, opts) { __out.push({ kind: 'generateErrorMultipleCmds', name: expected, object: fixture, opts }) }
    function testParseGenerateDefaults (name, object, buffer, generated, opts) { __out.push({ kind: 'parseGenerateDefaults', name, object, buffer, opts }) }
    function testParseAndGenerate (name, object, buffer, opts) { __out.push({ kind: 'parseAndGenerate', name, object, buffer, opts }) }
    function testWriteToStreamError (expected, fixture) { __out.push({ kind: 'writeToStreamError', name: expected, object: fixture }) }
  `;
  const body = src.slice(0, start) + recorders + src.slice(end);
  const fakeRequire = (id: string) => {
    if (id === "tape") return () => {};
    if (id === "readable-stream") return { Writable: function () {} };
    if (id === "./") return require("mqtt-packet");
    return require(id);
  };
  const out: Fixture[] = [];
  new Function("require", "__out", "Buffer", body)(fakeRequire, out, Buffer);
  return out;
}
