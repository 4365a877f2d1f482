/**
 * One note card and one task row. A card being edited is left alone by live updates (the person's
 * typing wins on screen); conflicts show every version with "keep this" and a merge editor.
 */
import { Note, type Task } from "./generated/models.js";
import { h } from "./dom.js";

type Fields = { title: string; body: string };

export function renderNote(n: Note, existing: HTMLElement | null): HTMLElement {
  if (existing?.dataset["editing"]) return existing;
  const card = existing ?? h("li", { class: "card", "data-id": n.id });
  card.className = `card${n._djazzkit_pending ? " pending" : ""}`;
  const conflict = Note.conflict(n);
  const versions: Fields[] = [{ title: n.title, body: n.body }, ...conflict._conflicts.filter((c) => !c.deleted).map((c) => ({ title: c.data.title, body: c.data.body }))];
  card.replaceChildren(
    h("h3", {}, n.title),
    h("p", { class: "body" }, n.body),
    h("div", { class: "meta" }, n._djazzkit_pending ? "pending: not synced yet" : `synced, revision ${n._djazzkit_rev}`),
    ...(conflict.hasConflicts ? [conflictBox(n, versions, card)] : []),
    h("div", { class: "actions" },
      h("button", { class: "edit", onclick: () => edit(card, n, { title: n.title, body: n.body }, (d) => save(n, d)) }, "Edit"),
      h("button", { class: "delete", onclick: () => void n.delete() }, "Delete")),
  );
  return card;
}

function conflictBox(n: Note, versions: Fields[], card: HTMLElement): HTMLElement {
  const merged: Fields = { title: versions[0]!.title, body: [...new Set(versions.map((v) => v.body))].join("\n") };
  return h("div", { class: "conflict" },
    h("strong", {}, `Conflict: ${versions.length} versions of this note`),
    ...versions.map((v, i) => h("div", { class: "version" },
      h("b", {}, v.title), h("p", {}, v.body),
      h("button", { class: "keep", onclick: () => void Note.resolveConflict(n.id, v) }, i === 0 ? "Keep this (current winner)" : "Keep this"))),
    h("button", { class: "merge", onclick: () => edit(card, n, merged, (d) => Note.resolveConflict(n.id, d)) }, "Merge..."));
}

async function save(n: Note, d: Fields): Promise<void> {
  n.title = d.title;
  n.body = d.body;
  await n.save();
}

function edit(card: HTMLElement, n: Note, start: Fields, done: (d: Fields) => Promise<void>): void {
  card.dataset["editing"] = "1";
  const title = h("input", { name: "title", value: start.title, maxlength: "200" }) as HTMLInputElement;
  const body = h("textarea", { name: "body" }) as HTMLTextAreaElement;
  body.value = start.body;
  const close = () => { delete card.dataset["editing"]; renderNote(n, card); };
  card.replaceChildren(h("form", {
    class: "editor",
    onsubmit: (e) => {
      e.preventDefault();
      delete card.dataset["editing"];
      void done({ title: title.value, body: body.value });
    },
  }, title, body, h("div", { class: "actions" }, h("button", { type: "submit", class: "save" }, "Save"), h("button", { type: "button", onclick: close }, "Cancel"))));
  title.focus();
}

export function renderTask(t: Task): HTMLElement {
  const box = h("input", { type: "checkbox", onchange: () => { t.done = box.checked; void t.save(); } }) as HTMLInputElement;
  box.checked = t.done;
  return h("li", { class: `task${t.done ? " done" : ""}${t._djazzkit_pending ? " pending" : ""}`, "data-id": t.id },
    h("label", {}, box, ` ${t.title}`),
    h("button", { class: "delete", title: "delete", onclick: () => void t.delete() }, "×"));
}
