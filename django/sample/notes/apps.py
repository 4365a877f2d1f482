from django.apps import AppConfig


class NotesConfig(AppConfig):
    name = "notes"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.backends.signals import connection_created

        def sqlite_wal(sender, connection, **kwargs):
            # WAL lets the relay's reads (changes, query) run beside apply's writes
            if connection.vendor == "sqlite" and connection.settings_dict["NAME"] not in ("", ":memory:") and "mode=memory" not in str(connection.settings_dict["NAME"]):
                with connection.cursor() as cursor:
                    cursor.execute("PRAGMA journal_mode=WAL")
                    cursor.execute("PRAGMA synchronous=NORMAL")  # durable across app crashes; WAL keeps it consistent

        connection_created.connect(sqlite_wal, weak=False, dispatch_uid="notes_sqlite_wal")
