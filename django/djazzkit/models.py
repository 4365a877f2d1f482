"""The synced-model base class and the app's bookkeeping tables.

Bookkeeping tables (real migrations, ``migrate djazzkit --fake-initial`` for adopters):

- ``AppliedMutation``: every ``(user_id, mutation_id)`` the relay applied or had rejected, with
  its first result (idempotency of ``POST apply``, per user).
- ``RowRevision``: the current winner revision id of each row (``model``, ``row_id``) with its
  nearest ancestors: the relay's winner after an ``apply``, or the revision a Django-side edit
  made (a child of the one Django held, see ``revisions.py``).
- ``RowConflict``: the retained conflicts of each row (``rev``, ``data``), as the relay sent them.
- ``ChangeLog``: one entry per save/delete of a row of a user-scoped model; ``seq`` (per user,
  from ``UserSequence``, assigned in commit order) is the origin cursor of ``GET changes``;
  ``rev`` is the row's revision after the change (the relay's for its own writes, so it skips
  the echo; a Django revision for Django-side edits), null when none is known.
- ``UserSequence``: each user's change counter. Taking the next value locks the user's counter
  row until the transaction ends, so a user's entries become visible in ``seq`` order and a
  pull can never pass over a change that commits later (see ``sequence.py``).
"""
import uuid

from django.db import models

from .sync import label_of


class SyncQuerySet(models.QuerySet):
    def with_conflicts(self):
        """Rows that have retained conflicts (revision_tree models)."""
        label = label_of(self.model._meta.concrete_model)
        return self.filter(_djazzkit_id__in=RowConflict.objects.filter(model=label).values("row_id"))

    def without_conflicts(self):
        label = label_of(self.model._meta.concrete_model)
        return self.exclude(_djazzkit_id__in=RowConflict.objects.filter(model=label).values("row_id"))


class SyncManager(models.Manager.from_queryset(SyncQuerySet)):
    pass


class SyncModel(models.Model):
    """Abstract base of synced models: djazzkit's bookkeeping fields plus ``with_conflicts()``.

    ``_djazzkit_id`` is the row id the relay and clients use; ``_djazzkit_updated_at`` is set
    on every save.
    """

    _djazzkit_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    _djazzkit_updated_at = models.DateTimeField(auto_now=True, db_index=True)

    objects = SyncManager()

    class Meta:
        abstract = True

    @property
    def djazzkit_label(self):
        return label_of(self._meta.concrete_model)

    def djazzkit_conflicts(self):
        """[{rev, data}] of this row's retained conflicts, best first as the relay sent them."""
        rows = RowConflict.objects.filter(model=self.djazzkit_label, row_id=self._djazzkit_id).order_by("position", "id")
        return [{"rev": c.rev, "data": c.data} for c in rows]

    def djazzkit_rev(self):
        """The relay's winner revision id of this row, or None."""
        rev = RowRevision.objects.filter(model=self.djazzkit_label, row_id=self._djazzkit_id).first()
        return rev.rev if rev else None


class AppliedMutation(models.Model):
    id = models.BigAutoField(primary_key=True)
    mutation_id = models.CharField(max_length=255)
    user_id = models.CharField(max_length=128, db_index=True)
    model = models.CharField(max_length=200)
    row_id = models.CharField(max_length=64)
    operation = models.CharField(max_length=16)
    rev = models.CharField(max_length=100, blank=True, default="")
    status = models.CharField(max_length=16)  # applied | rejected
    code = models.CharField(max_length=64, blank=True, default="")
    message = models.TextField(blank=True, default="")
    # Django's own revision the write was concurrent with and that Django kept (revision_tree):
    # {rev, revisions, data, deleted}; answered again to a repeated delivery
    concurrent = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "applied mutation"
        # Idempotency is per user: two users' clients may use the same id (issue 8 item 1).
        constraints = [models.UniqueConstraint(fields=["user_id", "mutation_id"], name="djazzkit_mutation_per_user")]

    def result(self):
        out = {"mutation_id": self.mutation_id, "status": self.status}
        if self.code:
            out["code"] = self.code
        if self.message:
            out["message"] = self.message
        if self.concurrent:
            out["concurrent"] = self.concurrent
        return out

    def __str__(self):
        return "%s %s" % (self.mutation_id, self.status)


class RowRevision(models.Model):
    id = models.BigAutoField(primary_key=True)
    model = models.CharField(max_length=200)
    row_id = models.UUIDField()
    rev = models.CharField(max_length=100)
    deleted = models.BooleanField(default=False)
    # the revision's nearest ancestors, parent first (bounded: revisions.ANCESTORS_KEPT)
    ancestors = models.JSONField(default=list, blank=True)
    # made by a Django-side edit (revisions.py), not written by the relay's apply
    by_django = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["model", "row_id"], name="djazzkit_rowrev_unique")]

    def __str__(self):
        return "%s %s @ %s" % (self.model, self.row_id, self.rev)


class RowConflict(models.Model):
    id = models.BigAutoField(primary_key=True)
    model = models.CharField(max_length=200)
    row_id = models.UUIDField()
    rev = models.CharField(max_length=100)
    position = models.PositiveIntegerField(default=0)
    data = models.JSONField(null=True, blank=True)
    # a Django branch kept beside a concurrent relay write (revisions.py): it stays until a
    # relay write shows the relay knows it
    by_django = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["model", "row_id", "rev"], name="djazzkit_conflict_unique")]
        indexes = [models.Index(fields=["model", "row_id"], name="djazzkit_conflict_row")]

    def __str__(self):
        return "%s %s conflict %s" % (self.model, self.row_id, self.rev)


class UserSequence(models.Model):
    user_id = models.CharField(max_length=128, primary_key=True)
    seq = models.BigIntegerField(default=0)

    def __str__(self):
        return "%s @ %s" % (self.user_id, self.seq)


class ChangeLog(models.Model):
    id = models.BigAutoField(primary_key=True)
    user_id = models.CharField(max_length=128)
    seq = models.BigIntegerField(null=True)  # null only for entries older than migration 0002
    model = models.CharField(max_length=200)
    row_id = models.UUIDField()
    deleted = models.BooleanField(default=False)
    rev = models.CharField(max_length=100, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["user_id", "id"], name="djazzkit_changelog_cursor"),
            models.Index(fields=["user_id", "seq"], name="djazzkit_changelog_seq"),
            models.Index(fields=["model", "row_id"], name="djazzkit_changelog_row"),
        ]

    def __str__(self):
        return "#%s %s %s %s" % (self.id, self.user_id, self.model, self.row_id)
