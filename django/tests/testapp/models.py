"""Test models of djazzkit's own suite, written in djazzkit's documented form."""
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from djazzkit.models import SyncModel
from djazzkit.sync_meta import ConflictMode, Strategy, SyncScope

from .resolvers import merge_notes

REJECTED_TITLE = "REJECT"


class Note(SyncModel):
    """User-scoped, revision trees, merged by ``merge_notes``; a note titled "REJECT" is refused."""

    title = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True, default="")
    archived = models.BooleanField(default=False)
    priority = models.IntegerField(null=True, blank=True)
    tags = models.JSONField(null=True, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="test_notes")

    class SyncMeta:
        scope = SyncScope.USER
        owner_field = "author"
        conflict_mode = ConflictMode.REVISION_TREE
        conflict_resolver = staticmethod(merge_notes)

    class Meta:
        ordering = ["id"]

    def clean(self):
        if self.title == REJECTED_TITLE:
            raise ValidationError({"title": 'notes titled "%s" are refused by the origin' % REJECTED_TITLE})
        if self.tags is not None and not isinstance(self.tags, list):
            raise ValidationError({"tags": "tags must be a list"})

    def __str__(self):
        return self.title or str(self._djazzkit_id)


class Task(SyncModel):
    """User-scoped, last writer wins."""

    title = models.CharField(max_length=200, blank=True)
    done = models.BooleanField(default=False)
    due = models.DateField(null=True, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="test_tasks")

    class SyncMeta:
        scope = SyncScope.USER
        owner_field = "owner"
        conflict_mode = ConflictMode.LWW

    class Meta:
        ordering = ["id"]


class Announcement(SyncModel):
    """Shared, read through remote queries only."""

    title = models.CharField(max_length=200)
    body = models.TextField(blank=True, default="")
    published_at = models.DateTimeField(null=True, blank=True)

    class SyncMeta:
        scope = SyncScope.SHARED
        strategy = Strategy.REMOTE

    class Meta:
        ordering = ["id"]
