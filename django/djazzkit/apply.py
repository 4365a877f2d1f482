"""``POST apply``: relay mutations written into Django, idempotent per user by ``mutation_id``.

For each mutation, in its own transaction:

1. A ``mutation_id`` this user sent before returns its first result again (``duplicate: true``) and
   changes nothing. The id is claimed by the first write of the transaction, so two concurrent
   deliveries of one mutation cannot both apply.
2. Ownership: the model must be user-scoped with strategy ``sync``; the row (if it exists) and
   the owner field of ``data``/``winner.data`` must belong to the calling user (``forbidden``).
3. The mutation's own ``data`` is validated through the model: field conversion, then
   ``full_clean()`` (so ``clean()`` business rules apply), then the optional
   ``SyncMeta.validator``. A failure is a rejection (HTTP 200, ``status: "rejected"``).
4. The row is made to hold ``winner``: created/updated with ``winner.data``, or **deleted**
   (hard delete) when ``winner.deleted``. The state actually written is validated exactly like
   the mutation's own data (``full_clean()`` and the validator), so Django never stores a row
   state its own validation refuses: a winner that fails is a rejection of the item. The
   winner's revision id goes to ``RowRevision``, the retained ``conflicts`` replace the row's
   ``RowConflict`` entries. These saves are marked as relay writes: logged in the change log
   with the relay revision, never poked back.
   Unless Django changed the row since the relay saw it (``revisions.py``): for
   ``revision_tree`` models Django's revision and the relay's winner are both kept, the winner
   by the usual rule, the other a conflict, and the result carries ``concurrent`` (Django's
   branch) so the relay keeps it too. For ``lww`` models the relay's write, which reached Django
   last, wins.

Rejections are stored too (the same id answers the same rejection). A value the database
itself refuses (``DataError``, e.g. a NUL character on PostgreSQL, or psycopg2's ``ValueError``
for one) is that item's fault: it is rejected with ``invalid_field_value``, the rest of the
batch goes on. Database errors that are not the mutation's fault (locks, lost connections)
propagate: the view answers 503 and the relay retries the batch; mutations already recorded
answer as duplicates.
"""
import threading
import uuid

from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, connections, router, transaction

from .context import relay_write
from .identity import spelled_canonically
from .models import AppliedMutation, RowConflict, RowRevision
from .revisions import ancestors_of_write, best_first, django_branch, is_concurrent, known_revisions, rank
from .serialize import assign, python_value
from .sync import ID_FIELD, ConflictMode, spec_for_label

_sqlite_lock = threading.Lock()  # SQLite allows one writer: queue writers in-process instead of failing


class Rejected(Exception):
    """Raise from a ``SyncMeta.validator`` (or a model hook) to refuse a relay write."""

    def __init__(self, message, code="origin_rejected"):
        super().__init__(message)
        self.code = code
        self.message = str(message)


class _Duplicate(Exception):
    pass


def validation_message(exc):
    if hasattr(exc, "message_dict"):
        parts = []
        for field, messages in exc.message_dict.items():
            text = ", ".join(str(m) for m in messages)
            parts.append(text if field == "__all__" else "%s: %s" % (field, text))
        return "; ".join(parts)
    return "; ".join(str(m) for m in exc.messages)


def _validation_code(exc, default):
    codes = set()
    for err in getattr(exc, "error_list", None) or []:
        codes.add(err.code)
    if hasattr(exc, "error_dict"):
        for errs in exc.error_dict.values():
            for err in errs:
                codes.add(err.code)
    for special in ("unknown_field", "invalid_field_value"):
        if special in codes:
            return special
    return default


def validate_structure(m):
    """Return an error message for a structurally invalid mutation, or None."""
    if not isinstance(m, dict):
        return "a mutation must be an object"
    for key in ("mutation_id", "model", "row_id", "operation", "rev"):
        if not isinstance(m.get(key), str) or not m.get(key):
            return "mutation.%s must be a non-empty string" % key
    if len(m["mutation_id"]) > 255:
        return "mutation_id is longer than 255 characters"
    if m["operation"] not in ("create", "update", "delete"):
        return "mutation.operation must be create, update or delete"
    if not isinstance(m.get("deleted"), bool):
        return "mutation.deleted must be a boolean"
    if m.get("data") is not None and not isinstance(m.get("data"), dict):
        return "mutation.data must be an object or null"
    winner = m.get("winner")
    if not isinstance(winner, dict) or not isinstance(winner.get("rev"), str) or not isinstance(winner.get("deleted"), bool):
        return "mutation.winner must be {rev, data, deleted}"
    if winner.get("data") is not None and not isinstance(winner.get("data"), dict):
        return "mutation.winner.data must be an object or null"
    for key in ("ancestry", "known"):
        revs = m.get(key, [])
        if not isinstance(revs, list) or len(revs) > 1000 or not all(isinstance(r, str) for r in revs):
            return "mutation.%s must be a list of revision ids" % key
    conflicts = m.get("conflicts", [])
    if not isinstance(conflicts, list) or not all(
        isinstance(c, dict) and isinstance(c.get("rev"), str) and (c.get("data") is None or isinstance(c.get("data"), dict))
        for c in conflicts
    ):
        return "mutation.conflicts must be [{rev, data}]"
    return None


def apply_batch(user, mutations):
    return [apply_one(user, m) for m in mutations]


def apply_one(user, m):
    mutation_id = m["mutation_id"]
    # The key is (user, mutation_id): another user's id never answers for this one (issue 8 item 1).
    previous = AppliedMutation.objects.filter(user_id=user, mutation_id=mutation_id).first()
    if previous is not None:
        return dict(previous.result(), duplicate=True)
    spec = spec_for_label(m["model"])
    if spec is None:
        return _store_rejection(user, m, "unknown_model", "unknown model %r" % m["model"])
    try:
        row_uuid = uuid.UUID(m["row_id"])
    except (ValueError, AttributeError, TypeError):
        return _store_rejection(user, m, "invalid_field_value", "row_id must be a UUID")
    if not spec.is_held_in_relay:
        return _store_rejection(user, m, "forbidden", "%s is not a user-scoped synced model" % spec.label)

    db = router.db_for_write(spec.model)
    lock = _sqlite_lock if connections[db].vendor == "sqlite" else None
    if lock:
        lock.acquire()
    try:
        with transaction.atomic(using=db):
            # inner blocks need no savepoint: any failure in them aborts the whole transaction
            try:
                with transaction.atomic(using=db, savepoint=False):
                    # first statement of the transaction is a write: claims the id (and on
                    # SQLite takes the write lock up front instead of failing on upgrade)
                    record = AppliedMutation.objects.using(db).create(
                        mutation_id=mutation_id,
                        user_id=user,
                        model=spec.label,
                        row_id=str(row_uuid),
                        operation=m["operation"],
                        rev=m["rev"],
                        status="applied",
                    )
            except IntegrityError:
                raise _Duplicate()
            try:
                with transaction.atomic(using=db, savepoint=False):
                    kept = _apply(spec, user, m, row_uuid, db)
            except IntegrityError as exc:
                raise Rejected("the database refused the row: %s" % exc)
            except (DataError, ValueError) as exc:
                # the database (or its driver) refused a value of this row: the item's fault
                raise Rejected("the database refused a value: %s" % exc, code="invalid_field_value")
            if kept is not None:
                record.concurrent = kept
                record.save(using=db, update_fields=["concurrent"])
            return record.result()
    except _Duplicate:
        return dict(AppliedMutation.objects.using(db).get(user_id=user, mutation_id=mutation_id).result(), duplicate=True)
    except (DataError, ValueError) as exc:
        # the claim itself was refused (a value of the mutation id or row the database cannot store)
        return _unstorable_rejection(m, "the database refused a value: %s" % exc)
    except Rejected as exc:
        return _store_rejection(user, m, exc.code, exc.message, db=db, spec=spec)
    except ValidationError as exc:
        return _store_rejection(
            user, m, _validation_code(exc, "origin_rejected"), validation_message(exc), db=db, spec=spec
        )
    finally:
        if lock:
            lock.release()


def _unstorable_rejection(m, message):
    return {"mutation_id": m["mutation_id"], "status": "rejected", "code": "invalid_field_value", "message": message[:2000]}


def _store_rejection(user, m, code, message, db=None, spec=None):
    db = db or "default"
    try:
        with transaction.atomic(using=db):
            record = AppliedMutation.objects.using(db).create(
                mutation_id=m["mutation_id"],
                user_id=user,
                model=spec.label if spec else str(m.get("model"))[:200],
                row_id=str(m.get("row_id"))[:64],
                operation=m["operation"],
                rev=m.get("rev") or "",
                status="rejected",
                code=code,
                message=message[:2000],
            )
    except IntegrityError:
        return dict(AppliedMutation.objects.using(db).get(user_id=user, mutation_id=m["mutation_id"]).result(), duplicate=True)
    except (DataError, ValueError) as exc:
        return _unstorable_rejection(m, "%s (%s)" % (message, exc))
    return record.result()


def _owner_value(spec, user):
    field = spec.model._meta.get_field(spec.owner_field)
    if not spelled_canonically(field, user):
        raise Rejected("user id %r is not the canonical spelling of a %s owner" % (user, spec.label), code="forbidden")
    try:
        return python_value(field, user)
    except ValidationError:
        raise Rejected("user id %r cannot own %s rows" % (user, spec.label), code="forbidden")


def _check_owner_in(spec, user, data, what):
    if data and spec.owner_field in data and data[spec.owner_field] is not None:
        if str(data[spec.owner_field]) != str(user):
            raise Rejected("%s names another owner in %s" % (what, spec.owner_field), code="forbidden")


def _build(spec, row, data, user, row_uuid):
    instance = row if row is not None else spec.model()
    assign(spec, instance, data)
    setattr(instance, spec.owner_attname, _owner_value(spec, user))
    setattr(instance, ID_FIELD, row_uuid)
    return instance


def _apply(spec, user, m, row_uuid, db):
    manager = spec.model._base_manager.using(db)
    row = manager.select_for_update().filter(**{ID_FIELD: row_uuid}).first()
    if row is not None and spec.owner_of(row) != str(user):
        raise Rejected("row %s belongs to another user" % row_uuid, code="forbidden")
    winner = m["winner"]
    _check_owner_in(spec, user, m.get("data"), "the mutation")
    _check_owner_in(spec, user, winner.get("data"), "the winner")

    # 1. the mutation's own data, validated through the model
    candidate = None
    if not m["deleted"]:
        if m.get("data") is None:
            raise Rejected("a live revision needs data", code="invalid_field_value")
        candidate = _build(spec, row, m["data"], user, row_uuid)
        candidate.full_clean(exclude=[ID_FIELD])  # the row was looked up by this id just above
    _run_validator(spec, user, row_uuid, m["operation"], m.get("data"), m["deleted"], candidate, row is not None)

    # 2. Django changed the row since the relay saw it (revisions.py): revision_tree keeps both
    stored = RowRevision.objects.using(db).select_for_update().filter(model=spec.label, row_id=row_uuid).first()
    conflicts = m.get("conflicts") or []
    # Django branches kept as conflicts earlier that this write does not know yet (the relay
    # learns them from the answer, after this batch) stay conflicts
    django_revs = set(
        RowConflict.objects.using(db)
        .filter(model=spec.label, row_id=row_uuid, by_django=True)
        .exclude(rev__in=known_revisions(m))
        .values_list("rev", flat=True)
    )
    if django_revs:
        carried = RowConflict.objects.using(db).filter(model=spec.label, row_id=row_uuid, rev__in=django_revs)
        conflicts = best_first(conflicts + [{"rev": c.rev, "data": c.data} for c in carried])
    kept = None
    if spec.conflict_mode == ConflictMode.REVISION_TREE and is_concurrent(stored, m):
        # re-read: building the candidate above assigned the mutation's data to `row`
        kept = django_branch(spec, stored, manager.filter(pk=row.pk).first() if row is not None else None)
        django_revs.add(kept["rev"])
        # Django's branch grew past revisions the relay still lists as conflicts (it pulled
        # Django's first edit, then Django edited again before this write arrived): those have
        # a child now, so they are not leaves and cannot stay conflicts (sim seed 62).
        below = set(stored.ancestors or [])
        conflicts = [c for c in conflicts if c["rev"] not in below]
        if rank(kept["rev"], kept["deleted"]) > rank(winner["rev"], winner["deleted"]):
            # Django's revision wins by the usual rule: the row stays, the relay's winner joins
            # its conflicts
            lost = [] if winner["deleted"] else [{"rev": winner["rev"], "data": winner.get("data")}]
            _replace_conflicts(db, spec.label, row_uuid, best_first(conflicts + lost), django_revs)
            return kept
        if not kept["deleted"]:
            conflicts = best_first(conflicts + [{"rev": kept["rev"], "data": kept["data"]}])

    # 3. the row holds the winner (lww: the write that reached Django last, this one)
    with relay_write(spec.label, row_uuid, winner["rev"]):
        if winner["deleted"]:
            if row is not None:
                manager.filter(pk=row.pk).first().delete()
        elif stored is not None and stored.rev == winner["rev"] and not stored.deleted and row is not None:
            pass  # the row already holds this winner (the mutation lost to it)
        else:
            if candidate is not None and winner["rev"] == m["rev"]:
                target = candidate
            else:
                if winner.get("data") is None:
                    raise Rejected("a live winner needs data", code="invalid_field_value")
                fresh = manager.filter(pk=row.pk).first() if row is not None else None
                target = _build(spec, fresh, winner["data"], user, row_uuid)
                # the state Django will hold, validated like any write of it (issue 8 item 2)
                target.full_clean(exclude=[ID_FIELD])
                _run_validator(spec, user, row_uuid, "update" if fresh is not None else "create", winner["data"], False, target, fresh is not None)
            target.save(using=db)

    ancestors = ancestors_of_write(m)
    if stored is None:
        RowRevision.objects.using(db).create(
            model=spec.label, row_id=row_uuid, rev=winner["rev"], deleted=winner["deleted"], ancestors=ancestors
        )
    elif (stored.rev, stored.deleted, stored.ancestors, stored.by_django) != (winner["rev"], winner["deleted"], ancestors, False):
        stored.rev, stored.deleted, stored.ancestors, stored.by_django = winner["rev"], winner["deleted"], ancestors, False
        stored.save(using=db, update_fields=["rev", "deleted", "ancestors", "by_django", "updated_at"])
    _replace_conflicts(db, spec.label, row_uuid, conflicts, django_revs)
    return kept


def _run_validator(spec, user, row_uuid, operation, data, deleted, instance, existing):
    validator = spec.get_validator()
    if validator is None:
        return
    validator(
        {
            "user": user,
            "model": spec.label,
            "row_id": str(row_uuid),
            "operation": operation,
            "data": data,
            "deleted": deleted,
            "instance": instance,
            "existing": existing,
        }
    )


def _replace_conflicts(db, label, row_uuid, conflicts, django_revs=frozenset()):
    current = list(RowConflict.objects.using(db).filter(model=label, row_id=row_uuid).order_by("position", "id"))
    wanted = [(c["rev"], c.get("data")) for c in conflicts]
    if [(c.rev, c.data, c.by_django) for c in current] == [(r, d, r in django_revs) for r, d in wanted]:
        return
    RowConflict.objects.using(db).filter(model=label, row_id=row_uuid).delete()
    seen = set()
    objs = []
    for position, (rev, data) in enumerate(wanted):
        if rev in seen:
            continue
        seen.add(rev)
        objs.append(RowConflict(model=label, row_id=row_uuid, rev=rev, position=position, data=data, by_django=rev in django_revs))
    RowConflict.objects.using(db).bulk_create(objs)
