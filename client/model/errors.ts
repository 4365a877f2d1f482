/**
 * Errors of the model layer. Write checks use the relay's own codes (`invalid_field_value`,
 * `unknown_field`, `invalid_query`, ...) so an app handles a refusal the same way whether the
 * client caught it before sending or the relay answered it; `does_not_exist` and
 * `multiple_objects_returned` are the client's own, named after Django's exceptions, and
 * `no_backend` means no ModelBackend was configured.
 */
import type { ErrorCode } from "../../schemas/errors.js";

export type ModelErrorCode = ErrorCode | "does_not_exist" | "multiple_objects_returned" | "no_backend";

export class ModelError extends Error {
  readonly code: ModelErrorCode;
  readonly details?: Record<string, unknown>;
  constructor(code: ModelErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = "ModelError";
    this.code = code;
    if (details !== undefined) this.details = details;
  }
}

/** `get()` found no row (Django's `Model.DoesNotExist`). */
export class DoesNotExist extends ModelError {
  constructor(label: string, details?: Record<string, unknown>) {
    super("does_not_exist", `${label} matching query does not exist`, details);
    this.name = "DoesNotExist";
  }
}

/** `get()` found more than one row (Django's `Model.MultipleObjectsReturned`). */
export class MultipleObjectsReturned extends ModelError {
  constructor(label: string, details?: Record<string, unknown>) {
    super("multiple_objects_returned", `get() returned more than one ${label}`, details);
    this.name = "MultipleObjectsReturned";
  }
}
