/**
 * What `filter()` / `exclude()` accept: typed Django lookups for one model's fields, and `Q`
 * objects to combine them with OR and NOT (Django's `Q(a=1) | Q(b=2)` is `Q({a: 1}).or({b: 2})`).
 */
import type { Condition } from "../../schemas/query.js";
import type { ModelSpec } from "../../schemas/manifest.js";
import { andAll, lookupsCondition } from "./lookups.js";

type Key<F> = keyof F & string;
type Scalarish = string | number | boolean | null;
/** The value an exact lookup compares with: the field's type, restricted to scalars (json fields). */
type Exact<T> = Extract<T, Scalarish>;
/** A json field's type includes arrays and objects: it has no ordering or text lookups at the relay. */
type IsJson<T> = [Extract<T, object>] extends [never] ? false : true;
type Ordered<T> = IsJson<T> extends true ? never : Exclude<Exact<T>, null | boolean>;
type Text<T> = IsJson<T> extends true ? never : Extract<T, string>;

/** Every lookup on one model's fields, typed by the field (`priority__gte` only where it orders). */
export type Lookups<F> =
  { [K in Key<F> as K | `${K}__exact`]?: Exact<F[K]> } &
  { [K in Key<F> as `${K}__in`]?: ReadonlyArray<Exact<F[K]>> } &
  { [K in Key<F> as `${K}__isnull`]?: boolean } &
  { [K in Key<F> as [Ordered<F[K]>] extends [never] ? never : `${K}__${"gt" | "gte" | "lt" | "lte"}`]?: Ordered<F[K]> } &
  { [K in Key<F> as [Ordered<F[K]>] extends [never] ? never : `${K}__range`]?: readonly [Ordered<F[K]>, Ordered<F[K]>] } &
  { [K in Key<F> as [Text<F[K]>] extends [never] ? never : `${K}__${"contains" | "icontains" | "startswith"}`]?: string } &
  RowLookups;

/** The row id (`_djazzkit_id`) under Django's names. */
export interface RowLookups {
  id?: string;
  id__exact?: string;
  id__in?: readonly string[];
  pk?: string;
  pk__in?: readonly string[];
}

/** A name `orderBy` accepts: a field or `id`, `-` first for descending. */
export type OrderName<F> = Key<F> | "id" | "_djazzkit_updated_at" | `-${Key<F> | "id" | "_djazzkit_updated_at"}`;

type Node = { lookups: Readonly<Record<string, unknown>> } | { and: QExpr<never>[] } | { or: QExpr<never>[] } | { not: QExpr<never> };

/**
 * A condition to combine, built with `Q()`: `Q({...}).or({...})`, `Q({...}).not()`. Typed by
 * the model's fields when written `Q<NoteFields>({...})`; plain `Q({...})` is checked when the
 * query runs (unknown fields are `unknown_field`).
 */
export class QExpr<F> {
  /** @internal */
  readonly node: Node;
  /** @internal Use `Q(lookups)`. */
  constructor(node: Node) {
    this.node = node;
  }
  or(...others: Array<QExpr<F> | Lookups<F>>): QExpr<F> {
    return new QExpr<F>({ or: [this, ...others.map(toQ)] as QExpr<never>[] });
  }
  and(...others: Array<QExpr<F> | Lookups<F>>): QExpr<F> {
    return new QExpr<F>({ and: [this, ...others.map(toQ)] as QExpr<never>[] });
  }
  not(): QExpr<F> {
    return new QExpr<F>({ not: this as QExpr<never> });
  }
  /** @internal The AST condition, field names checked against the model. */
  toCondition(spec: ModelSpec, label: string): Condition {
    const n = this.node;
    if ("lookups" in n) return lookupsCondition(n.lookups, spec, label);
    if ("not" in n) return { not: n.not.toCondition(spec, label) };
    if ("and" in n) return andAll(n.and.map((x) => x.toCondition(spec, label))) ?? { and: [] };
    return { or: n.or.map((x) => x.toCondition(spec, label)) };
  }
}

/** Django's `Q(...)`: lookups to combine with `.or()`, `.and()`, `.not()`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function Q<F = any>(lookups: Lookups<F>): QExpr<F> {
  return new QExpr<F>({ lookups: lookups as Readonly<Record<string, unknown>> });
}

export function toQ<F>(x: QExpr<F> | Lookups<F>): QExpr<F> {
  return x instanceof QExpr ? x : Q<F>(x);
}
