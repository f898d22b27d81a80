import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteStore } from "../../../hosts/headend/store/sqlite-store";
import { storeSuite } from "./store-suite";

storeSuite("SQLite", async () => {
  const file = join(mkdtempSync(join(tmpdir(), "xsm-store-")), "he.db");
  const open = async () => {
    const s = new SqliteStore(file);
    await s.migrate();
    return s;
  };
  return { store: await open(), reopen: open };
});
