/** The test app's page: the replica runs in a module Worker; the page reaches it through connectReplica. */
import { connectReplica, type Manifest } from "@djazzkit/core";
import manifest from "../../../djazzkit.schema.json";

const worker = new Worker(`/replica-worker.js${location.search}`, { type: "module" });
const replica = connectReplica(worker, { manifest: manifest as Manifest });
const warnings: string[] = [];
replica.on("warning", (w) => warnings.push(w.message));
Object.assign(globalThis, { replica, warnings });
