/**
 * The base class of every generated model: a row's fields as typed properties, `save()` and
 * `delete()` like Django's, and the conflict API (`Model.getConflicts`, `Model.resolveConflict`,
 * `Model.conflict(row)`). Generated classes only add `label`, `spec` and `objects`.
 *
 * Field values live in one private record; each field is a prototype accessor over it
 * (installed once per class), so a field named like a member (`save`, `id`, ...) never breaks
 * the instance: it stays reachable through `get(name)` / `set(name, value)`.
 */
import type { ModelSpec } from "../../schemas/manifest.js";
import type { ConflictVersion, ModelBackend, ReplicaRow } from "./backend.js";
import { modelBackend } from "./backend-registry.js";
import { conflictView, fieldsOnly, type ConflictView, type Version } from "./conflicts.js";
import { DoesNotExist } from "./errors.js";
import { RESERVED_MEMBERS } from "./types.js";
import { initialValue, preparePatch, prepareCreate } from "./write-checks.js";

/** A generated model class (its static side). */
export interface ModelClass<M extends Model<object> = Model<object>> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  new (...args: any[]): M;
  readonly label: string;
  readonly spec: ModelSpec;
}

/** The field interface of a model instance type. */
export type FieldsOf<M> = M extends Model<infer F> ? F : never;

/** What `new Note(...)` takes: any fields (checked on save), and optionally the row id to use. */
export type ModelInit<F> = Partial<F> & { id?: string };

/** The bookkeeping an instance keeps from its row. */
interface RowMeta {
  _djazzkit_rev: number;
  _djazzkit_deleted: boolean;
  _djazzkit_updated_at: string | null;
  _djazzkit_pending: boolean;
  _conflicts: ConflictVersion[];
}

/** Set while `instantiate` builds an instance from a replica row (constructors are synchronous). */
let hydrating: { row: ReplicaRow; backend: ModelBackend } | undefined;

/** An instance of `cls` holding `row`, bound to the backend it came from. */
export function instantiate<M extends Model<object>>(cls: ModelClass<M>, row: ReplicaRow, backend: ModelBackend): M {
  hydrating = { row, backend };
  try {
    return new cls();
  } finally {
    hydrating = undefined;
  }
}

const RESERVED = new Set<string>(RESERVED_MEMBERS);
const withAccessors = new WeakSet<object>();

function installAccessors(cls: ModelClass): void {
  if (withAccessors.has(cls)) return;
  withAccessors.add(cls);
  for (const field of Object.keys(cls.spec.fields)) {
    if (RESERVED.has(field) || field.startsWith("_djazzkit_") || field in Model.prototype) continue;
    Object.defineProperty(cls.prototype, field, {
      configurable: true,
      enumerable: true,
      get(this: Model<Record<string, unknown>>) {
        return this.get(field);
      },
      set(this: Model<Record<string, unknown>>, value: unknown) {
        this.set(field, value);
      },
    });
  }
}

export abstract class Model<F extends object = Record<string, unknown>> {
  /** Type-level only: the model's field interface. */
  declare readonly $fields: F;

  #id: string;
  #values: Record<string, unknown> = {};
  /** The values the backend last confirmed; null until the first save. */
  #saved: Record<string, unknown> | null = null;
  #row: RowMeta = { _djazzkit_rev: 0, _djazzkit_deleted: false, _djazzkit_updated_at: null, _djazzkit_pending: false, _conflicts: [] };
  #backend: ModelBackend | undefined;

  /** A new, unsaved row (Django's `Note(title=...)`): defaults filled, `save()` creates it. */
  constructor(data?: ModelInit<F>) {
    const cls = new.target as unknown as ModelClass;
    installAccessors(cls);
    const h = hydrating;
    hydrating = undefined;
    if (h !== undefined) {
      this.#id = h.row._djazzkit_id;
      this.#backend = h.backend;
      this.#adopt(h.row);
      return;
    }
    const init = (data ?? {}) as Record<string, unknown>;
    this.#id = typeof init.id === "string" ? init.id : crypto.randomUUID();
    // Unknown keys are kept so that save() refuses them (unknown_field) instead of dropping them.
    for (const k of Object.keys(init)) if (k !== "id") put(this.#values, k, init[k]);
    for (const [field, fs] of Object.entries(cls.spec.fields)) {
      if (!Object.hasOwn(init, field)) {
        const initial = initialValue(fs);
        if (initial !== undefined) put(this.#values, field, initial.value);
      }
    }
  }

  /** The row id (`_djazzkit_id`, a UUID), known before the first save. */
  get id(): string {
    return this.#id;
  }
  /** Django's alias of the primary key. */
  get pk(): string {
    return this.#id;
  }
  /** The winner's generation (0 until the relay has answered a create). */
  get _djazzkit_rev(): number {
    return this.#row._djazzkit_rev;
  }
  get _djazzkit_deleted(): boolean {
    return this.#row._djazzkit_deleted;
  }
  get _djazzkit_updated_at(): string | null {
    return this.#row._djazzkit_updated_at;
  }
  /** True while a local write of this row awaits the relay. */
  get _djazzkit_pending(): boolean {
    return this.#row._djazzkit_pending;
  }
  /** Losing versions of a `revision_tree` row ([] otherwise); see `Model.conflict(row)`. */
  get _conflicts(): Version<F>[] {
    return this.#row._conflicts.map((c) => ({ ...c, data: fieldsOnly(this.#cls().spec, c.data) as F }));
  }

  /** A field's value by name (also for fields named like a member, e.g. `save`). */
  get<K extends keyof F & string>(name: K): F[K] {
    return this.#values[name] as F[K];
  }
  set<K extends keyof F & string>(name: K, value: F[K]): this {
    put(this.#values, name, value);
    return this;
  }

  /**
   * Writes the row: a create the first time (missing fields take their defaults), then an update
   * of the fields changed since the last save (none changed: nothing is sent). Values are checked
   * first with the relay's codes. Resolves once the write is applied locally; it syncs later.
   */
  async save(): Promise<this> {
    const cls = this.#cls();
    const backend = this.#useBackend();
    const sent = { ...this.#values };
    let row: ReplicaRow;
    if (this.#saved === null) {
      row = await backend.create(cls.label, prepareCreate(cls.spec, cls.label, sent), this.#id);
    } else {
      const changed = changedFields(this.#saved, sent);
      if (Object.keys(changed).length === 0) return this;
      row = await backend.update(cls.label, this.#id, preparePatch(cls.spec, cls.label, changed));
    }
    const editedMeanwhile = changedFields(sent, this.#values);
    this.#adopt(row);
    for (const [k, v] of Object.entries(editedMeanwhile)) put(this.#values, k, v);
    return this;
  }

  /** Deletes the row (a tombstone that syncs like any write). */
  async delete(): Promise<void> {
    await this.#useBackend().delete(this.#cls().label, this.#id);
    this.#row = { ...this.#row, _djazzkit_deleted: true };
  }

  /** Re-reads the row (Django's `refresh_from_db()`); DoesNotExist when it is gone. */
  async refresh(): Promise<this> {
    const cls = this.#cls();
    const rows = await this.#useBackend().query({ model: cls.label, where: { field: "_djazzkit_id", op: "eq", value: this.#id }, limit: 1 });
    if (rows[0] === undefined) throw new DoesNotExist(cls.label, { id: this.#id });
    this.#adopt(rows[0]);
    return this;
  }

  /** The fields and the row id, e.g. for JSON.stringify. */
  toJSON(): F & { id: string } {
    return { ...(this.#values as F), id: this.#id };
  }

  /** Winner and losing versions of one row, fetched through the backend. */
  static async getConflicts<M extends Model<object>>(this: ModelClass<M>, instanceId: string): Promise<{ winner: Version<FieldsOf<M>>; conflicts: Version<FieldsOf<M>>[] }> {
    const { winner, conflicts } = await modelBackend().getConflicts(this.label, instanceId);
    const typed = (v: typeof winner): Version<FieldsOf<M>> => ({ ...v, data: fieldsOnly(this.spec, v.data) as FieldsOf<M> });
    return { winner: typed(winner), conflicts: conflicts.map(typed) };
  }

  /** Ends a conflict: `resolvedData` is laid over the winner and every losing leaf is closed. */
  static async resolveConflict<M extends Model<object>>(this: ModelClass<M>, instanceId: string, resolvedData: Partial<FieldsOf<M>>): Promise<void> {
    const data = preparePatch(this.spec, this.label, resolvedData as Record<string, unknown>);
    await modelBackend().resolveConflict(this.label, instanceId, data);
  }

  /** The conflict view of a row (an instance or a replica row): `_conflicts` and `resolveConflict(data)`. */
  static conflict<M extends Model<object>>(this: ModelClass<M>, row: M | ReplicaRow): ConflictView<FieldsOf<M>> {
    const backend = row instanceof Model ? row.#useBackend() : undefined;
    const id = row instanceof Model ? row.#id : row._djazzkit_id;
    const conflicts = (row instanceof Model ? row.#row._conflicts : row._conflicts) ?? [];
    return conflictView<FieldsOf<M>>(this.spec, conflicts, async (data) => {
      const patch = preparePatch(this.spec, this.label, data as Record<string, unknown>);
      await (backend ?? modelBackend()).resolveConflict(this.label, id, patch);
    });
  }

  #cls(): ModelClass {
    return this.constructor as ModelClass;
  }

  #useBackend(): ModelBackend {
    return this.#backend ?? modelBackend();
  }

  /** Take a row the backend returned as this instance's state. */
  #adopt(row: ReplicaRow): void {
    const values = fieldsOnly(this.#cls().spec, row);
    this.#values = values;
    this.#saved = { ...values };
    const { _djazzkit_rev, _djazzkit_deleted, _djazzkit_updated_at, _djazzkit_pending, _conflicts } = row;
    this.#row = { _djazzkit_rev, _djazzkit_deleted, _djazzkit_updated_at, _djazzkit_pending, _conflicts: _conflicts ?? [] };
  }

  /** @internal Bind an instance to the backend it was created through (`objects.using(b).create`). */
  static bindBackend(instance: Model<object>, backend: ModelBackend): void {
    instance.#backend = backend;
  }
}

/** Set an own property, also for a key such as `__proto__` (assignment would change the prototype). */
function put(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
}

/** Deep equality of JSON values (object key order ignored). */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.hasOwn(b, k) && sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** Fields of `next` whose value differs from `base` (JSON values compared deeply). */
function changedFields(base: Record<string, unknown>, next: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(next)) {
    if (!Object.hasOwn(base, k) || !sameJson(base[k], v)) put(out, k, v);
  }
  return out;
}
