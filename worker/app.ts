/**
 * The gate: a thin Hono app in front of every Durable Object (PROTOCOL 5). Each route is a chain
 * of cheap refusals (URL/headers, settings, upgrade, Origin, body size, credential, query bounds)
 * ending in one call to the identity's object; a refused request never reaches an object.
 * Every refusal is a RelayError, mapped to `{code, message}` with its status in `onGateError`.
 */
import { Hono } from "hono";
import { authenticate } from "./auth.js";
import { boundedBody } from "./body.js";
import { allowedOriginsCors } from "./cors.js";
import type { Gate } from "./env.js";
import { onGateError, onNotFound } from "./errors.js";
import { requestSanity, requireWebSocketUpgrade } from "./limits.js";
import { originPolicy } from "./origin-policy.js";
import { health } from "./routes/health.js";
import { poke } from "./routes/poke.js";
import { runQuery } from "./routes/query.js";
import { schema } from "./routes/schema.js";
import { callRpc } from "./routes/rpc.js";
import { forwardSocket } from "./routes/sync.js";
import { relaySettings } from "./settings.js";

export const app = new Hono<Gate>();

app.use("*", requestSanity(), relaySettings());
app.get("/djazzkit/health", health());
app.get("/djazzkit/schema", schema());
app.all("/djazzkit/sync", requireWebSocketUpgrade(), originPolicy(), authenticate(), forwardSocket());
app.use("/djazzkit/query", allowedOriginsCors());
app.use("/djazzkit/rpc/*", allowedOriginsCors());
app.post("/djazzkit/query", boundedBody(), authenticate(), runQuery());
app.post("/djazzkit/rpc/:name", boundedBody(), authenticate(), callRpc());
app.post("/djazzkit/origin/poke", boundedBody(), poke());
app.onError(onGateError);
app.notFound(onNotFound);
