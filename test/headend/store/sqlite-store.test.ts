import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { MIGRATIONS } from "../../../hosts/headend/store/migrations";
import { SqliteStore } from "../../../hosts/headend/store/sqlite-store";
import { storeSuite } from "./store-suite";

storeSuite("SQLite", async (maxRejects?: number) => {
  const file = join(mkdtempSync(join(tmpdir(), "xsm-store-")), "he.db");
  const open = async () => {
    const s = new SqliteStore(file, { maxRejects });
    await s.migrate();
    return s;
  };
  return { store: await open(), reopen: open };
});

describe("SQLite migrations 3 and 4 on a database of version 2", () => {
  it("removes the firmware reports a redelivery had stored twice, keeping the first, then keys them; the node's state is its last report", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "xsm-store-")), "old.db");
    const db = new Database(file);
    db.exec("CREATE TABLE schema_version (version INTEGER NOT NULL)");
    for (const m of MIGRATIONS.filter((x) => x.version <= 2)) db.exec(m.sqlite + `INSERT INTO schema_version VALUES (${m.version});`);
    const add = db.prepare("INSERT INTO firmware_reports (node, t, running, phase, body) VALUES (?, ?, '1.0.0', 'downloading', ?)");
    for (const [k, bytes] of [1, 2, 1, 2, 3].entries()) add.run("n", k, `{"bytes":${bytes}}`); // 1 and 2 resent after newer ones
    add.run("m", 9, '{"bytes":1}');
    db.close();
    const s = new SqliteStore(file);
    expect(await s.migrate()).toBe(MIGRATIONS[MIGRATIONS.length - 1].version);
    expect((await s.firmwareSince("n", 0)).map((r) => [r.t, r.body])).toEqual([[0, '{"bytes":1}'], [1, '{"bytes":2}'], [4, '{"bytes":3}']]);
    expect((await s.firmwareSince("m", 0)).length).toBe(1);
    expect((await s.firmware("n"))?.body).toBe('{"bytes":3}'); // migration 4: node_firmware from the last by arrival
    expect(await s.ingest([{ kind: "firmware", node: "n", t: 10, running: "1.0.0", phase: "downloading", body: '{"bytes":2}' }])).toEqual({ stored: 0, duplicates: 1, rejected: 0 });
    await s.close();
  });
});

describe("SQLite store options", () => {
  it("refuses a rejects bound that is not an integer ≥ 1, naming it", () => {
    for (const n of [0, -5, 1.5, Number.NaN]) expect(() => new SqliteStore(":memory:", { maxRejects: n })).toThrow(/maxRejects must be an integer ≥ 1/);
  });
});
