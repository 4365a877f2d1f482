/** The test app's replica Worker: relay URL and token come from the Worker's own URL. */
import { serveReplica } from "@djazzkit/core/browser";
import manifest from "../../../djazzkit.schema.json";
import type { Manifest } from "@djazzkit/core";

const params = new URL(self.location.href).searchParams;
void serveReplica({
  url: params.get("relay")!,
  schemaVersion: (manifest as Manifest).schema_version,
  manifest: manifest as Manifest,
  token: () => params.get("token"),
  storeName: params.get("db") ?? "smoke.db",
  relay: { backoff: { baseMs: 50, maxMs: 500 } },
});
