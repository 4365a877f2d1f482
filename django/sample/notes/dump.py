"""A JSON snapshot of what the origin holds, for end-to-end tests and debugging."""
from django.db.models import Max

from djazzkit.manifest import build_manifest
from djazzkit.models import AppliedMutation, ChangeLog, RowConflict, RowRevision, SyncQuerySet
from djazzkit.serialize import row_data, to_json_value
from djazzkit.sync import ID_FIELD, UPDATED_AT_FIELD, synced_models


def dump(models=None, user=None, include_mutations=True):
    """{schema_version, models: {label: {rows, with_conflicts}}, applied_mutations, change_cursor}.

    rows: [{row_id, data, rev, updated_at, conflicts: [{rev, data}]}] (current Django rows);
    with_conflicts: row ids returned by ``Model.objects.with_conflicts()``;
    applied_mutations: [{mutation_id, user_id, model, row_id, operation, rev, status, code, message}].
    """
    out = {"schema_version": build_manifest()["schema_version"], "models": {}}
    revs = {}
    for r in RowRevision.objects.all():
        revs[(r.model, str(r.row_id))] = r.rev
    conflicts = {}
    for c in RowConflict.objects.order_by("position", "id"):
        conflicts.setdefault((c.model, str(c.row_id)), []).append({"rev": c.rev, "data": c.data})
    for label, spec in synced_models().items():
        if models and label not in models:
            continue
        qs = spec.model._base_manager.all().order_by("pk")
        if user is not None and spec.is_user_scoped:
            qs = qs.filter(**{spec.owner_attname: user})
        rows = []
        for obj in qs:
            row_id = str(getattr(obj, ID_FIELD))
            rows.append(
                {
                    "row_id": row_id,
                    "data": row_data(spec, obj),
                    "rev": revs.get((label, row_id)),
                    "updated_at": to_json_value(getattr(obj, UPDATED_AT_FIELD)),
                    "conflicts": conflicts.get((label, row_id), []),
                }
            )
        with_conflicts = SyncQuerySet(spec.model).filter(pk__in=qs.values("pk")).with_conflicts()
        out["models"][label] = {
            "rows": rows,
            "with_conflicts": [str(v) for v in with_conflicts.values_list(ID_FIELD, flat=True)],
        }
    if include_mutations:
        mutations = AppliedMutation.objects.order_by("id")
        if user is not None:
            mutations = mutations.filter(user_id=user)
        out["applied_mutations"] = [
            {
                "mutation_id": m.mutation_id,
                "user_id": m.user_id,
                "model": m.model,
                "row_id": m.row_id,
                "operation": m.operation,
                "rev": m.rev,
                "status": m.status,
                "code": m.code or None,
                "message": m.message or None,
            }
            for m in mutations
        ]
    out["change_cursor"] = str(ChangeLog.objects.aggregate(m=Max("id"))["m"] or 0)
    return out
