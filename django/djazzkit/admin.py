"""Conflicts in the Django admin.

For your synced models use ``SyncAdminMixin``::

    @admin.register(Note)
    class NoteAdmin(SyncAdminMixin, admin.ModelAdmin):
        list_display = ("title", "author") + SyncAdminMixin.sync_list_display

It adds a "conflicts" list column (the retained conflict revisions), a "has conflicts" list
filter and, on the change page, a read-only panel with the relay revision and every retained
conflict's revision and data.
"""
import json

from django.contrib import admin
from django.utils.html import format_html_join

from .models import AppliedMutation, ChangeLog, RowConflict, RowRevision


class HasConflictsFilter(admin.SimpleListFilter):
    title = "conflicts"
    parameter_name = "djazzkit_conflicts"

    def lookups(self, request, model_admin):
        return (("yes", "has conflicts"), ("no", "no conflicts"))

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.with_conflicts()
        if self.value() == "no":
            return queryset.without_conflicts()
        return queryset


class SyncAdminMixin:
    sync_list_display = ("djazzkit_conflict_revs",)
    sync_readonly_fields = ("_djazzkit_id", "_djazzkit_updated_at", "djazzkit_rev_display", "djazzkit_conflicts_display")

    def get_list_filter(self, request):
        return tuple(super().get_list_filter(request)) + (HasConflictsFilter,)

    def get_readonly_fields(self, request, obj=None):
        return tuple(super().get_readonly_fields(request, obj)) + self.sync_readonly_fields

    @admin.display(description="conflicts")
    def djazzkit_conflict_revs(self, obj):
        revs = [c["rev"] for c in obj.djazzkit_conflicts()]
        return ", ".join(revs) if revs else "-"

    @admin.display(description="relay revision")
    def djazzkit_rev_display(self, obj):
        return (obj.djazzkit_rev() if obj and obj.pk else None) or "-"

    @admin.display(description="retained conflicts")
    def djazzkit_conflicts_display(self, obj):
        conflicts = obj.djazzkit_conflicts() if obj and obj.pk else []
        if not conflicts:
            return "-"
        return format_html_join(
            "",
            "<div><strong>{}</strong><pre>{}</pre></div>",
            ((c["rev"], json.dumps(c["data"], indent=2, sort_keys=True, ensure_ascii=False)) for c in conflicts),
        )


class _ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(RowConflict)
class RowConflictAdmin(_ReadOnlyAdmin):
    list_display = ("model", "row_id", "rev", "position", "created_at")
    list_filter = ("model",)
    search_fields = ("row_id", "rev")


@admin.register(RowRevision)
class RowRevisionAdmin(_ReadOnlyAdmin):
    list_display = ("model", "row_id", "rev", "deleted", "updated_at")
    list_filter = ("model", "deleted")
    search_fields = ("row_id", "rev")


@admin.register(AppliedMutation)
class AppliedMutationAdmin(_ReadOnlyAdmin):
    list_display = ("mutation_id", "user_id", "model", "operation", "status", "code", "created_at")
    list_filter = ("status", "model")
    search_fields = ("mutation_id", "row_id")


@admin.register(ChangeLog)
class ChangeLogAdmin(_ReadOnlyAdmin):
    list_display = ("id", "user_id", "model", "row_id", "deleted", "rev", "created_at")
    list_filter = ("model", "deleted")
    search_fields = ("row_id", "user_id")
