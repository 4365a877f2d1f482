"""The change feed (``GET changes``): one page of a user's rows changed after an origin cursor.

The cursor is the user's commit-ordered sequence (sequence.py), so a later page never finds an
entry below a cursor it was given. Each row appears once per page with its current state: its
data when it still belongs to the user, else a tombstone; with the relay revision (and its
nearest ancestors, revisions.py) when that revision describes what is sent. A cursor ahead of
the log (a reset database) starts over from 0 so the relay re-reads every row.
"""
from django.db.models import Max

from .models import ChangeLog, RowRevision
from .sequence import current_seq
from .serialize import row_data
from .sync import ID_FIELD, spec_for_label


def changes_page(user, since, limit):
    """``{rows, cursor, more}``: at most ``limit`` rows of ``user`` changed after ``since``."""
    if since > 0:
        newest = current_seq(user)
        if since > newest:
            # a cursor from the future: this log was reset (new database); start over so the
            # relay re-reads every row instead of waiting forever
            since = 0
    # the cursor is the user's commit-ordered seq (sequence.py): no later pull can find an
    # entry below a cursor it was given
    latest = list(
        ChangeLog.objects.filter(user_id=user, seq__gt=since)
        .values("model", "row_id")
        .annotate(last=Max("seq"))
        .order_by("last")[: limit + 1]
    )
    more = len(latest) > limit
    latest = latest[:limit]
    entries = {e.seq: e for e in ChangeLog.objects.filter(user_id=user, seq__in=[r["last"] for r in latest])}
    revisions = {}
    for label in {r["model"] for r in latest}:
        ids = [r["row_id"] for r in latest if r["model"] == label]
        for rr in RowRevision.objects.filter(model=label, row_id__in=ids):
            revisions[(label, str(rr.row_id))] = rr
    by_model = {}
    for r in latest:
        by_model.setdefault(r["model"], []).append(r["row_id"])
    current = {}
    for label, row_ids in by_model.items():
        spec = spec_for_label(label)
        if spec is None:
            continue
        for obj in spec.model._base_manager.filter(**{ID_FIELD + "__in": row_ids}):
            current[(label, str(getattr(obj, ID_FIELD)))] = (spec, obj)

    rows = []
    for r in latest:
        if spec_for_label(r["model"]) is None:
            continue  # no longer synced
        entry = entries[r["last"]]
        found = current.get((r["model"], str(r["row_id"])))
        live = found is not None and found[0].owner_of(found[1]) == user
        held = revisions.get((r["model"], str(r["row_id"])))
        row = {
            "model": r["model"],
            "row_id": str(r["row_id"]),
            "data": row_data(found[0], found[1]) if live else None,
            "deleted": not live,
            # a revision only describes the row if it matches what we send
            "rev": entry.rev if entry.deleted == (not live) else None,
        }
        if held is not None and held.deleted == (not live):
            # the row's current revision and its nearest ancestors (revisions.py)
            row["rev"] = held.rev
            row["revisions"] = [held.rev] + list(held.ancestors or [])
        rows.append(row)
    cursor = str(latest[-1]["last"]) if latest else str(since)
    return {"rows": rows, "cursor": cursor, "more": more}
