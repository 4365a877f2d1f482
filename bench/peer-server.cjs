/**
 * The bench's peer (issue 12): PouchDB Server as `express-pouchdb` 4.2 over the in-memory
 * adapter, from devDependencies, in its own Node process (as workerd is for the relay).
 * express-pouchdb's own express 4 app is served as is: its `_changes` breaks under express 5.
 * Prints `{"port": N}` once listening on 127.0.0.1; exits when its stdin closes, so it never
 * outlives the bench.
 */
const PouchDB = require("pouchdb-core")
  .plugin(require("pouchdb-adapter-memory"))
  .plugin(require("pouchdb-mapreduce"))
  .plugin(require("pouchdb-replication"));
const expressPouchDB = require("express-pouchdb");

// Scenarios 3 and 5 hold hundreds of continuous feeds on one database: not a leak.
require("node:events").EventEmitter.defaultMaxListeners = 0;

const MemoryPouch = PouchDB.defaults({ adapter: "memory" });
const app = expressPouchDB(MemoryPouch, { mode: "minimumForPouchDB", inMemoryConfig: true, logPath: require("node:os").devNull });
const server = app.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port, pid: process.pid })}\n`);
});
server.keepAliveTimeout = 60_000;
process.stdin.resume();
process.stdin.on("end", () => process.exit(0));
process.on("SIGTERM", () => process.exit(0));
