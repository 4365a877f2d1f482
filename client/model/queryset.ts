/**
 * A lazy, immutable query over one model (Django's QuerySet): `filter`, `exclude`, `orderBy`,
 * `limit` and `offset` return a new QuerySet; `all`, `first`, `get`, `count`, `exists` and
 * `subscribe` run it through the ModelBackend (the local replica for the user's own rows, the
 * relay otherwise). `toQuery()` is the AST it sends.
 *
 * Without `limit` the backend applies the relay's default (DEFAULT_LIMIT, 100 rows); without
 * `orderBy` rows come newest first (`-_djazzkit_updated_at`), the relay's default order.
 */
import type { Condition, Query } from "../../schemas/query.js";
import type { ModelBackend } from "./backend.js";
import { modelBackend } from "./backend-registry.js";
import { DoesNotExist, MultipleObjectsReturned } from "./errors.js";
import { toQ, type Lookups, type OrderName, type QExpr } from "./filters.js";
import { andAll, orderTerms } from "./lookups.js";
import { instantiate, type FieldsOf, type Model, type ModelClass } from "./model.js";

export type Filter<F> = Lookups<F> | QExpr<F>;

interface State {
  where: Condition[];
  order: string[] | undefined;
  limit: number | undefined;
  offset: number | undefined;
}

export class QuerySet<M extends Model<object>> {
  protected readonly cls: ModelClass<M>;
  protected readonly backend: ModelBackend | undefined;
  readonly #state: State;

  constructor(cls: ModelClass<M>, backend?: ModelBackend, state?: State) {
    this.cls = cls;
    this.backend = backend;
    this.#state = state ?? { where: [], order: undefined, limit: undefined, offset: undefined };
  }

  /** Rows matching every lookup (AND), e.g. `filter({title__icontains: "milk", priority__gte: 2})`. */
  filter(...filters: Filter<FieldsOf<M>>[]): QuerySet<M> {
    const conditions = filters.map((f) => toQ(f).toCondition(this.cls.spec, this.cls.label));
    return this.#with({ where: [...this.#state.where, ...conditions] });
  }

  /** Rows not matching all of the lookups together (Django's exclude; a NULL field counts as not matching). */
  exclude(...filters: Filter<FieldsOf<M>>[]): QuerySet<M> {
    const inner = andAll(filters.map((f) => toQ(f).toCondition(this.cls.spec, this.cls.label))) ?? { and: [] };
    return this.#with({ where: [...this.#state.where, { not: inner }] });
  }

  /** Replaces the ordering: field names, `-` first for descending, e.g. `orderBy("-priority", "title")`. */
  orderBy(...names: OrderName<FieldsOf<M>>[]): QuerySet<M> {
    orderTerms(names, this.cls.spec, this.cls.label); // unknown names fail here, not when the query runs
    return this.#with({ order: names });
  }

  limit(n: number): QuerySet<M> {
    return this.#with({ limit: n });
  }

  offset(n: number): QuerySet<M> {
    return this.#with({ offset: n });
  }

  /** Another backend for this query (Django's `using()`). */
  using(backend: ModelBackend): QuerySet<M> {
    return new QuerySet(this.cls, backend, this.#state);
  }

  /** The query AST this QuerySet runs. */
  toQuery(): Query {
    const q: Query = { model: this.cls.label };
    const where = andAll(this.#state.where);
    if (where !== undefined) q.where = where;
    if (this.#state.order !== undefined) q.order_by = orderTerms(this.#state.order, this.cls.spec, this.cls.label);
    if (this.#state.limit !== undefined) q.limit = this.#state.limit;
    if (this.#state.offset !== undefined) q.offset = this.#state.offset;
    return q;
  }

  async all(): Promise<M[]> {
    const backend = this.#backend();
    return (await backend.query(this.toQuery())).map((row) => instantiate(this.cls, row, backend));
  }

  /** The first row in this order, or null. */
  async first(): Promise<M | null> {
    return (await this.limit(1).all())[0] ?? null;
  }

  /** The one row with this id (or matching these lookups); DoesNotExist / MultipleObjectsReturned otherwise. */
  async get(idOrLookups: string | Filter<FieldsOf<M>>): Promise<M> {
    const qs = typeof idOrLookups === "string" ? this.filter({ id: idOrLookups } as Lookups<FieldsOf<M>>) : this.filter(idOrLookups);
    const rows = await qs.limit(2).all();
    const details = typeof idOrLookups === "string" ? { id: idOrLookups } : undefined;
    if (rows.length === 0) throw new DoesNotExist(this.cls.label, details);
    if (rows.length > 1) throw new MultipleObjectsReturned(this.cls.label, details);
    return rows[0]!;
  }

  async count(): Promise<number> {
    return this.#backend().count(this.toQuery());
  }

  async exists(): Promise<boolean> {
    return (await this.limit(1).all()).length > 0;
  }

  /**
   * Live query: `onRows` gets the current rows now and again whenever a change to this model
   * may change them. Returns the function that stops it.
   */
  subscribe(onRows: (rows: M[]) => void, onError?: (err: unknown) => void): () => void {
    const backend = this.#backend();
    return backend.subscribe(this.toQuery(), (rows) => onRows(rows.map((row) => instantiate(this.cls, row, backend))), onError);
  }

  #backend(): ModelBackend {
    return this.backend ?? modelBackend();
  }

  #with(change: Partial<State>): QuerySet<M> {
    return new QuerySet(this.cls, this.backend, { ...this.#state, ...change });
  }
}
