from django.contrib import admin

from djazzkit.admin import SyncAdminMixin

from .models import Announcement, Note, Task


@admin.register(Note)
class NoteAdmin(SyncAdminMixin, admin.ModelAdmin):
    list_display = ("title", "author", "archived", "priority") + SyncAdminMixin.sync_list_display
    search_fields = ("title", "body")


@admin.register(Task)
class TaskAdmin(SyncAdminMixin, admin.ModelAdmin):
    list_display = ("title", "owner", "done", "due") + SyncAdminMixin.sync_list_display


@admin.register(Announcement)
class AnnouncementAdmin(admin.ModelAdmin):
    list_display = ("title", "published_at")
