from django.contrib import admin

from djazzkit.admin import SyncAdminMixin

from .models import Note


@admin.register(Note)
class NoteAdmin(SyncAdminMixin, admin.ModelAdmin):
    list_display = ("title", "author") + SyncAdminMixin.sync_list_display
