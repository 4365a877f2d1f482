"""Django-side revisions: both sides write (issue 14).

Every edit Django makes itself (the admin, views, jobs, ``djazzkit_save``) of a row the relay
holds gets a revision, a child of the revision Django held (``RowRevision``), with the relay's
id format: ``<gen>-<32 hex>``, gen = parent's gen + 1 (1 for a new row), the hex the first 32 of
sha256 over the canonical JSON of ``[deleted, parent, data]``. ``RowRevision`` keeps the row's
current revision and its nearest ``ANCESTORS_KEPT`` ancestors, which ``GET changes`` sends
(``revisions``) so the relay can graft Django's edits where they belong in its tree.

A relay write (``POST apply``) is *concurrent* with Django's state when Django's current
revision is a Django edit (``RowRevision.by_django``) and the revisions it knows (its winner, the winner's ``ancestry``, its conflicts, the mutation's own revision and
parent) do not include Django's current revision: Django changed the row since the relay last
saw it. Then, for ``revision_tree`` models both branches stay (``apply.py``): the winner is the
usual deterministic rule (live beats deleted, then higher generation, then greater hash), the
other live leaf is a retained conflict, and the answer tells the relay about Django's branch
(``concurrent``) so it grafts it too and both sides hold the same leaves. For ``lww`` models
the write that reached Django last wins: the relay's.
"""
import hashlib
import json

from .models import RowRevision
from .serialize import row_data

#: ancestors kept per row and sent in ``GET changes``: enough to reach a revision the relay
#: knows unless Django edits one row this many times between two contacts with the relay
ANCESTORS_KEPT = 20


def canonical_json(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def parse_gen(rev):
    try:
        return int(str(rev).split("-", 1)[0])
    except ValueError:
        return 0


def revision_id(deleted, parent, data):
    gen = parse_gen(parent) + 1 if parent else 1
    digest = hashlib.sha256(canonical_json([bool(deleted), parent, data]).encode("utf-8")).hexdigest()
    return "%d-%s" % (gen, digest[:32])


def rank(rev, deleted):
    """Sort key of the winner rule, larger wins: live over deleted, higher gen, greater hash."""
    return (0 if deleted else 1, parse_gen(rev), str(rev).split("-", 1)[-1])


def record_django_revision(spec, instance, deleted, using):
    """A Django-side save/delete of ``instance``: its new revision (child of the one held)."""
    stored = (
        RowRevision.objects.using(using)
        .select_for_update()
        .filter(model=spec.label, row_id=instance._djazzkit_id)
        .first()
    )
    parent = stored.rev if stored is not None else None
    data = None if deleted else row_data(spec, instance)
    rev = revision_id(deleted, parent, data)
    if stored is None:
        RowRevision.objects.using(using).create(
            model=spec.label, row_id=instance._djazzkit_id, rev=rev, deleted=deleted, ancestors=[], by_django=True
        )
    else:
        stored.ancestors = ([parent] + list(stored.ancestors or []))[:ANCESTORS_KEPT]
        stored.rev, stored.deleted, stored.by_django = rev, deleted, True
        stored.save(using=using, update_fields=["rev", "deleted", "ancestors", "by_django", "updated_at"])
    return rev


def known_revisions(m):
    """Every revision id a relay write shows the relay knows of this row.

    ``ancestry`` carries the winner's nearest ancestors, ``known`` every other leaf of the
    relay's tree with its parent (a conflict the relay resolved is the parent of a tombstone).
    """
    known = {m.get("rev"), m.get("parent_rev"), m["winner"]["rev"]}
    known.update(r for r in (m.get("ancestry") or []) if isinstance(r, str))
    known.update(r for r in (m.get("known") or []) if isinstance(r, str))
    known.update(c["rev"] for c in m.get("conflicts") or [])
    known.discard(None)
    return known


def is_concurrent(stored, m):
    """True when Django's current revision is a Django edit the relay's write does not know.

    A revision the relay itself wrote here is never concurrent with the relay's next write,
    even when the relay no longer holds it (a winner it undid after a rejection: the winner
    correction that follows must replace it, not keep it).
    """
    return stored is not None and stored.by_django and stored.rev not in known_revisions(m)


def django_branch(spec, stored, row):
    """Django's current state as a branch the relay can graft: {rev, revisions, data, deleted}."""
    live = row is not None and not stored.deleted
    return {
        "rev": stored.rev,
        "revisions": [stored.rev] + list(stored.ancestors or []),
        "data": row_data(spec, row) if live else None,
        "deleted": not live,
    }


def ancestors_of_write(m):
    """The ancestors to keep for the relay's winner after an apply."""
    ancestry = [r for r in (m.get("ancestry") or []) if isinstance(r, str)]
    if not ancestry and m["winner"]["rev"] == m.get("rev") and m.get("parent_rev"):
        ancestry = [m["parent_rev"]]
    return ancestry[:ANCESTORS_KEPT]


def best_first(conflicts):
    """Conflict bodies ordered as the relay orders them (best first), one per revision."""
    seen, out = set(), []
    for c in sorted(conflicts, key=lambda c: rank(c["rev"], False), reverse=True):
        if c["rev"] not in seen:
            seen.add(c["rev"])
            out.append(c)
    return out
