"""`manage.py migrate djazzkit --fake-initial` adopts existing bookkeeping tables (an adopter whose
tables exist already, e.g. from an earlier install): the initial migration is recorded without
being run, the rows stay, and later migrations run normally."""
import io

from django.core.management import call_command
from django.db import DatabaseError, connection
from django.db.migrations.recorder import MigrationRecorder
from django.test import TransactionTestCase

TABLES = {"djazzkit_appliedmutation", "djazzkit_rowrevision", "djazzkit_rowconflict", "djazzkit_changelog"}


def migrate(*args):
    call_command("migrate", "djazzkit", *args, verbosity=0, interactive=False, stdout=io.StringIO())


class FakeInitialTests(TransactionTestCase):
    def tearDown(self):
        migrate()  # whatever happened, leave the schema fully migrated for the next tests

    def test_fake_initial_adopts_existing_tables(self):
        recorder = MigrationRecorder(connection)
        # Existing tables as the initial migration made them, but no record of it (an adopter).
        migrate("zero")
        migrate("0001")
        with connection.cursor() as cursor:  # raw SQL: the model class may be ahead of migration 0001
            cursor.execute(
                "INSERT INTO djazzkit_appliedmutation (mutation_id, user_id, model, row_id, operation, rev, status, code,"
                " message, created_at) VALUES ('kept', '1', 'testapp.Note', 'r', 'create', '', 'applied', '', '', %s)",
                ["2026-01-01 00:00:00"],
            )
        recorder.migration_qs.filter(app="djazzkit").delete()
        self.assertTrue(TABLES <= set(connection.introspection.table_names()))

        # Without --fake-initial the initial migration tries to create the tables again.
        with self.assertRaises(DatabaseError):
            migrate()

        migrate("--fake-initial")
        applied = {name for app, name in recorder.applied_migrations() if app == "djazzkit"}
        self.assertIn("0001_initial", applied)
        with connection.cursor() as cursor:
            cursor.execute("SELECT mutation_id FROM djazzkit_appliedmutation")
            self.assertEqual(cursor.fetchall(), [("kept",)])
        out = io.StringIO()
        call_command("showmigrations", "djazzkit", stdout=out)
        self.assertNotIn("[ ]", out.getvalue())
