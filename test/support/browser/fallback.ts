/** Opens the browser replica on the page's main thread, where OPFS sync handles do not exist. */
import { openBrowserStore } from "@djazzkit/core/browser";

const warnings: string[] = [];
const store = await openBrowserStore("main-thread.db", { onWarning: (w) => warnings.push(w) });
store.run("CREATE TABLE t (x)");
store.run("INSERT INTO t VALUES (?)", [42]);
Object.assign(globalThis, { fallback: { location: store.location, ephemeral: store.ephemeral, warnings, rows: store.all("SELECT x FROM t") } });
