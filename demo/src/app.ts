/**
 * The demo page: notes and tasks through the generated model classes (Note, Task), whose backend
 * is the replica Worker (connectReplica). Live queries redraw the lists; every write lands in the
 * local SQLite replica first and syncs when the socket is up. Plain DOM, no framework.
 */
import { connectReplica, setModelBackend, type ReplicaStatus, type ReplicaWorkerClient } from "@djazzkit/core";
import { MANIFEST, Note, Task } from "./generated/models.js";
import type { DemoToPage, PageToDemo } from "./messages.js";
import { renderNote, renderTask } from "./render.js";
import { $, h } from "./dom.js";

// Sign-in: a dev link carries the token in the fragment (kept for this tab only, never sent to
// a server); without one the relay's origin (Django) signs the socket in with its session cookie.
const fromLink = new URLSearchParams(location.hash.slice(1)).get("token");
if (fromLink) {
  sessionStorage.setItem("djazzkit-demo-token", fromLink);
  history.replaceState(null, "", location.pathname + location.search);
}
const token = fromLink ?? sessionStorage.getItem("djazzkit-demo-token");
const claims = token ? decodeClaims(token) : undefined;
const user = claims?.sub ?? "session";

// The offline switch survives a reload of this tab (the Worker starts without dialling out).
let offline = sessionStorage.getItem("djazzkit-demo-offline") === "1";
const query = new URLSearchParams({ user });
if (token) query.set("token", token);
if (offline) query.set("offline", "1");
const worker = new Worker(`/replica-worker.js?${query}`, { type: "module" });
const replica: ReplicaWorkerClient = connectReplica(worker, { manifest: MANIFEST });
setModelBackend(replica);
const send = (m: PageToDemo) => worker.postMessage(m);

let status: ReplicaStatus | undefined;
let mismatch = false;
const who = $("#who");
who.textContent = claims ? `${claims.name ?? "user"} (id ${claims.sub})` : "Django session";

function showState(): void {
  const s = status?.state;
  const [label, cls] =
    mismatch || s === "schema_mismatch" ? ["schema mismatch", "bad"]
    : offline ? ["offline", "off"]
    : s === "waiting_for_token" || s === "stopped" || (s === "ready" && status?.user_id == null) ? ["signed out", "bad"]
    : s === "ready" ? ["live", "ok"]
    : ["connecting", "wait"];
  const el = $("#state");
  el.textContent = label;
  el.className = `state ${cls}`;
  $("#signed-out").hidden = label !== "signed out";
  if (!claims) who.textContent = status?.user_id ? `Django session (user ${status.user_id})` : "no session";
  $("#where").textContent = status ? (status.ephemeral ? "replica in memory (lost on reload)" : `replica ${status.location}`) : "";
}
replica.on("status", (s) => { status = s; showState(); });
replica.on("warning", (w) => note(w.message));
replica.on("rejected", (r) => note(`${r.operation} of ${r.model} refused: ${r.message}`));
worker.addEventListener("message", (e: MessageEvent) => {
  const m = e.data as DemoToPage;
  if (m && typeof m === "object" && "demo" in m && m.demo === "schema_mismatch") {
    mismatch = true;
    $("#mismatch-text").textContent = m.info.message;
    $("#mismatch").hidden = false;
    showState();
  }
});
for (const choice of ["reset", "migrate"] as const) {
  $(`#mismatch-${choice}`).addEventListener("click", () => {
    send({ demo: "schema_choice", choice });
    mismatch = false;
    $("#mismatch").hidden = true;
    showState();
  });
}
$("#mismatch-later").addEventListener("click", () => { $("#mismatch").hidden = true; });

const offlineBox = $<HTMLInputElement>("#offline");
offlineBox.checked = offline;
offlineBox.addEventListener("change", () => {
  offline = offlineBox.checked;
  sessionStorage.setItem("djazzkit-demo-offline", offline ? "1" : "0");
  send({ demo: "offline", offline });
  showState();
});

function note(text: string): void {
  $("#log").prepend(h("li", {}, `${new Date().toLocaleTimeString()} ${text}`));
}

$<HTMLFormElement>("#new-note").addEventListener("submit", (e) => {
  e.preventDefault();
  const f = e.target as HTMLFormElement;
  const title = (f.elements.namedItem("title") as HTMLInputElement).value.trim();
  const body = (f.elements.namedItem("body") as HTMLTextAreaElement).value;
  if (!title) return;
  void Note.objects.create({ title, body }).then(() => f.reset(), (err: Error) => note(err.message));
});
$<HTMLFormElement>("#new-task").addEventListener("submit", (e) => {
  e.preventDefault();
  const f = e.target as HTMLFormElement;
  const input = f.elements.namedItem("title") as HTMLInputElement;
  if (!input.value.trim()) return;
  void Task.objects.create({ title: input.value.trim() }).then(() => f.reset(), (err: Error) => note(err.message));
});

Note.objects.orderBy("title").subscribe((notes) => {
  const list = $("#notes");
  const keep = new Set(notes.map((n) => n.id));
  for (const el of Array.from(list.children) as HTMLElement[]) if (!keep.has(el.dataset["id"]!)) el.remove();
  notes.forEach((n, i) => {
    const el = renderNote(n, list.querySelector<HTMLElement>(`[data-id="${n.id}"]`));
    if (list.children[i] !== el) list.insertBefore(el, list.children[i] ?? null);
  });
  $("#pending").textContent = String(notes.filter((n) => n._djazzkit_pending).length);
}, (err) => note(String(err)));
Task.objects.orderBy("title").subscribe((tasks) => {
  $("#tasks").replaceChildren(...tasks.map(renderTask));
}, (err) => note(String(err)));

function decodeClaims(jwt: string): { sub?: string; name?: string } | undefined {
  try {
    return JSON.parse(atob(jwt.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/"))) as { sub?: string; name?: string };
  } catch {
    return undefined;
  }
}
Object.assign(globalThis, { djazzkitDemo: { replica, Note, Task } });
showState();
