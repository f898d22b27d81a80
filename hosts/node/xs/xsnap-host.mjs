// Runs in its own Node process (not inside the test runner): @endo/init locks the
// realm down with SES, which the xsnap API needs and other code does not expect.
// Protocol: one JSON request per line on stdin {id, code}; one JSON reply per line
// on stdout {id, ok, reply?, error?, meter}. `code` must end in an ArrayBuffer expression.
import '@endo/init';
import { xsnap } from '@agoric/xsnap';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import readline from 'node:readline';

const worker = await xsnap({
  name: 'xsmeter',
  spawn,
  fs,
  os: os.type(),
  meteringLimit: 0,
  stdout: 'ignore',
  stderr: 'inherit',
});

const out = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);
const decoder = new TextDecoder();
const lines = readline.createInterface({ input: process.stdin });
out({ ready: true });
for await (const line of lines) {
  if (!line.trim()) continue;
  const { id, code } = JSON.parse(line);
  try {
    const r = await worker.evaluate(code);
    out({
      id,
      ok: true,
      reply: r.reply ? decoder.decode(r.reply) : null,
      meter: { compute: r.meterUsage.compute, allocate: r.meterUsage.allocate, heapCount: r.meterUsage.currentHeapCount },
    });
  } catch (e) {
    out({ id, ok: false, error: String(e && e.message ? e.message : e) });
  }
}
await worker.close();
