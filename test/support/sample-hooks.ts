/**
 * Helpers over the sample project's test hooks (django/sample, DJAZZKIT_SAMPLE_TEST_HOOKS=1)
 * and management commands: users, session cookies, the dump of rows/conflicts/applied
 * mutations, and schema changes.
 */
import type { DjangoHandle } from "./django.js";

/** Create (or reset) users; resolves with `{username: user_id}`. */
export async function seedUsers(django: DjangoHandle, usernames: string[], password = "password"): Promise<Record<string, string>> {
  const out = await django.manage(["seed_users", ...usernames, "--password", password]);
  return JSON.parse(lastLine(out)) as Record<string, string>;
}

export interface SessionLogin {
  user_id: string;
  cookie_name: string;
  session_key: string;
  /** `sessionid=<key>`, ready for a `Cookie` header. */
  cookie: string;
}

/** Log in through `POST /sample/login` and return the Django session cookie. */
export async function login(django: DjangoHandle, username: string, password = "password"): Promise<SessionLogin> {
  const res = await fetch(`${django.url}/sample/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password }),
  });
  if (res.status !== 200) throw new Error(`login of ${username} failed: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as SessionLogin;
}

/** `GET /sample/dump`: the origin's rows, retained conflicts and applied mutation ids. */
export async function dump(django: DjangoHandle, opts: { user?: string; models?: string[] } = {}): Promise<Record<string, unknown>> {
  const q = new URLSearchParams();
  if (opts.user) q.set("user", opts.user);
  for (const m of opts.models ?? []) q.append("model", m);
  const res = await fetch(`${django.url}/sample/dump${q.size ? `?${q}` : ""}`);
  if (res.status !== 200) throw new Error(`dump failed: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as Record<string, unknown>;
}

/** Change the origin's schema_version at run time (`POST /sample/schema-salt`); resolves with the new version. */
export async function setSchemaSalt(django: DjangoHandle, salt: string): Promise<string> {
  const res = await fetch(`${django.url}/sample/schema-salt`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ salt }),
  });
  if (res.status !== 200) throw new Error(`schema salt failed: HTTP ${res.status} ${await res.text()}`);
  return ((await res.json()) as { schema_version: string }).schema_version;
}

function lastLine(text: string): string {
  const lines = text.trim().split("\n");
  return lines[lines.length - 1] ?? "";
}

export interface OrmWrite {
  model: string;
  row_id?: string;
  /** Owner user id (user-scoped models; needed to create). */
  user?: string;
  data?: Record<string, unknown>;
  create?: boolean;
  delete?: boolean;
}

/**
 * An edit made by Django code through the ORM (`POST /sample/orm-write`): logged, given a
 * Django revision and poked, as the admin or a job would. Resolves with the HTTP status and
 * the answer (`{row_id, deleted, rev}` on 200; 404 missing row, 400 refused by validation).
 */
export async function ormWrite(django: DjangoHandle, w: OrmWrite): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${django.url}/sample/orm-write`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(w),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** `POST /sample/poke`: Django pokes the relay for these users now (its retry after an outage). */
export async function djangoPoke(django: DjangoHandle, userIds: string[]): Promise<void> {
  const res = await fetch(`${django.url}/sample/poke`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ user_ids: userIds }),
  });
  if (res.status !== 200) throw new Error(`poke failed: HTTP ${res.status} ${await res.text()}`);
}
