// The entry module. Moddable starts the module named "main", and XS resolves a
// relative import against the importing module's name: named "main", main.ts
// could not reach "../../modules/...". So main.ts runs as "hosts/esp32/main" (where
// those paths resolve, to the rooms' "modules/<room>/..." names) and this shim,
// named "main", only re-exports its start function.
import main from "hosts/esp32/main";
export default main;
