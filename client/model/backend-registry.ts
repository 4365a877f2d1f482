/**
 * Which ModelBackend model classes use when none is given: `setModelBackend(client)` once at
 * start-up (a SyncClient is one), or `Model.objects.using(backend)` per query, as Django's
 * `using()` picks a database.
 */
import type { ModelBackend } from "./backend.js";
import { ModelError } from "./errors.js";

let current: ModelBackend | undefined;

export function setModelBackend(backend: ModelBackend | undefined): void {
  current = backend;
}

export function modelBackend(): ModelBackend {
  if (current === undefined) {
    throw new ModelError("no_backend", "no ModelBackend: call setModelBackend(client) first, or use Model.objects.using(client)");
  }
  return current;
}
