import { Hono } from "hono";
import type { Env } from "./env.js";

export const app = new Hono<{ Bindings: Env }>();
app.get("/djazzkit/health", (c) => c.json({ ok: true }));
