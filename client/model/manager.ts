/**
 * `Model.objects` (Django's Manager): every QuerySet method on all rows, plus `create`.
 */
import type { ModelBackend } from "./backend.js";
import { Model, type FieldsOf, type ModelClass, type ModelInit } from "./model.js";
import { QuerySet } from "./queryset.js";

/** What `create` needs: the generated `<Model>Create` type (required fields required, the rest optional). */
export class Manager<M extends Model<object>, C = Partial<FieldsOf<M>>> extends QuerySet<M> {
  constructor(cls: ModelClass<M>, backend?: ModelBackend) {
    super(cls, backend);
  }

  /** A new row with `data` and the model's defaults, saved (Django's `objects.create`). */
  async create(data: C & { id?: string }): Promise<M> {
    const instance = new this.cls(data as ModelInit<FieldsOf<M>>);
    if (this.backend !== undefined) Model.bindBackend(instance, this.backend);
    return instance.save();
  }

  /** This manager over another backend (Django's `using()`). */
  override using(backend: ModelBackend): Manager<M, C> {
    return new Manager<M, C>(this.cls, backend);
  }
}
