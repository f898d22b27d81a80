/**
 * The XS runner: bundles engine-neutral code with esbuild and evaluates it
 * inside the real XS engine (xsnap, built from source by @agoric/xsnap),
 * returning the value and what XS metered: computrons and heap slots.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { dirname, resolve } from "node:path";
import { existsSync } from "node:fs";
import { build } from "esbuild";

export interface XsMeter {
  /** Computrons metered for this evaluation. */
  compute: number;
  /** Bytes allocated by the XS machine so far. */
  allocate: number;
  /** Live heap slots after this evaluation. */
  heapCount: number;
}

export interface XsResult<T = unknown> {
  value: T;
  meter: XsMeter;
}

/** Finds the project root from this file, in source or bundled form. */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsPackage(dir)) return dir;
    dir = dirname(dir);
  }
  throw new Error("xsmeter: cannot find the project root");
}

function existsPackage(dir: string): boolean {
  return existsSync(resolve(dir, "package.json")) && existsSync(resolve(dir, "modules"));
}

/**
 * Bundles `entry` (a .ts file exporting functions) into a script that defines
 * `globalThis[globalName]` with the module's exports. The same text runs on
 * Node (new Function) and on XS, so both engines execute identical code.
 */
export async function bundleForXs(entry: string, globalName = "__xsmeter"): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: "iife",
    globalName,
    platform: "neutral",
    target: "es2022",
    logLevel: "silent",
  });
  // xsnap evaluates each text as a strict script whose `var`s stay local: publish the global.
  return `${result.outputFiles[0].text}\nglobalThis.${globalName} = ${globalName};\n`;
}

export class XsEngine {
  private nextId = 1;
  private waiting = new Map<number, { resolve: (v: { reply: string | null; meter: XsMeter }) => void; reject: (e: Error) => void }>();
  private closed = false;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {}

  static async start(): Promise<XsEngine> {
    const host = resolve(projectRoot(), "hosts/node/xs/xsnap-host.mjs");
    const child = spawn(process.execPath, [host], { stdio: ["pipe", "pipe", "pipe"], cwd: projectRoot() });
    const engine = new XsEngine(child);
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const lines = createInterface({ input: child.stdout });
    const ready = new Promise<void>((resolveReady, rejectReady) => {
      child.on("exit", (code) => {
        const error = new Error(`xsnap host exited (${code}): ${stderr.trim()}`);
        rejectReady(error);
        for (const w of engine.waiting.values()) w.reject(error);
        engine.waiting.clear();
      });
      lines.on("line", (line) => {
        const msg = JSON.parse(line);
        if (msg.ready) return resolveReady();
        const w = engine.waiting.get(msg.id);
        if (!w) return;
        engine.waiting.delete(msg.id);
        if (msg.ok) w.resolve({ reply: msg.reply, meter: msg.meter });
        else w.reject(new Error(`XS: ${msg.error}`));
      });
    });
    await ready;
    return engine;
  }

  /** Evaluates raw code whose completion value is an ArrayBuffer (or undefined). */
  evaluateRaw(code: string): Promise<{ reply: string | null; meter: XsMeter }> {
    if (this.closed) return Promise.reject(new Error("XS engine closed"));
    const id = this.nextId++;
    return new Promise((res, rej) => {
      this.waiting.set(id, { resolve: res, reject: rej });
      this.child.stdin.write(`${JSON.stringify({ id, code })}\n`);
    });
  }

  /** Defines a bundle's global in the XS realm; returns the meter of the load. */
  async load(bundle: string): Promise<XsMeter> {
    return (await this.evaluateRaw(`${bundle};\nundefined`)).meter;
  }

  /** Evaluates an expression in XS and returns its JSON value and the meter of this evaluation alone. */
  async evaluate<T = unknown>(expression: string): Promise<XsResult<T>> {
    const code = `(() => { const v = (${expression}); return new TextEncoder().encode(JSON.stringify(v === undefined ? null : v)).buffer; })()`;
    const { reply, meter } = await this.evaluateRaw(code);
    return { value: reply === null ? (null as T) : (JSON.parse(reply) as T), meter };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.child.stdin.end();
    await new Promise<void>((res) => {
      if (this.child.exitCode !== null) return res();
      this.child.on("exit", () => res());
    });
  }
}

/** Evaluates a bundle on Node in the same way as on XS: returns its global. */
export function loadOnNode(bundle: string, globalName = "__xsmeter"): Record<string, unknown> {
  // eslint-disable-next-line no-new-func
  return new Function(`${bundle};\nreturn ${globalName};`)() as Record<string, unknown>;
}
