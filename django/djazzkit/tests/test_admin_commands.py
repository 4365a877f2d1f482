import io
import json

from django.contrib.auth import get_user_model
from django.core.management import call_command

from djazzkit.models import ChangeLog
from notes.models import Note

from .helpers import RelayTestCase, mutation, note_data, rev


class ConflictsTests(RelayTestCase):
    def setUp(self):
        self.make_users()
        self.row = self.new_id()
        self.win, self.lose = rev(1, "w"), rev(1, "l")
        self.apply(
            self.a,
            mutation("c:1", self.row, note_data(self.a, body="lose me"), r=self.lose,
                     winner={"rev": self.win, "data": note_data(self.a, body="winner"), "deleted": False},
                     conflicts=[{"rev": self.lose, "data": note_data(self.a, body="lose me")}]),
        )
        Note.objects.create(title="plain", author=self.alice)

    def test_with_conflicts(self):
        self.assertEqual([str(n._djazzkit_id) for n in Note.objects.with_conflicts()], [self.row])
        self.assertEqual(Note.objects.filter(author=self.alice).with_conflicts().count(), 1)
        self.assertEqual(Note.objects.without_conflicts().count(), 1)

    def test_admin_shows_conflicts(self):
        admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
        self.client.force_login(admin)
        listing = self.client.get("/admin/notes/note/")
        self.assertEqual(listing.status_code, 200)
        self.assertContains(listing, self.lose)
        filtered = self.client.get("/admin/notes/note/?djazzkit_conflicts=yes")
        self.assertContains(filtered, self.lose)
        self.assertNotContains(filtered, "plain")
        note = Note.objects.get(_djazzkit_id=self.row)
        page = self.client.get("/admin/notes/note/%d/change/" % note.pk)
        self.assertEqual(page.status_code, 200)
        self.assertContains(page, self.lose)
        self.assertContains(page, "lose me")
        self.assertContains(page, self.win)
        for url in ("/admin/djazzkit/rowconflict/", "/admin/djazzkit/appliedmutation/",
                    "/admin/djazzkit/changelog/", "/admin/djazzkit/rowrevision/"):
            self.assertEqual(self.client.get(url).status_code, 200, url)

    def test_dump_command(self):
        out = io.StringIO()
        call_command("djazzkit_dump", stdout=out)
        snapshot = json.loads(out.getvalue())
        self.assertRegex(snapshot["schema_version"], r"^[0-9a-f]{16}$")
        notes = snapshot["models"]["notes.Note"]
        self.assertEqual(notes["with_conflicts"], [self.row])
        row = next(r for r in notes["rows"] if r["row_id"] == self.row)
        self.assertEqual(row["rev"], self.win)
        self.assertEqual(row["data"]["body"], "winner")
        self.assertEqual(row["conflicts"], [{"rev": self.lose, "data": note_data(self.a, body="lose me")}])
        self.assertEqual([m["mutation_id"] for m in snapshot["applied_mutations"]], ["c:1"])
        self.assertEqual(snapshot["applied_mutations"][0]["status"], "applied")
        self.assertEqual(snapshot["change_cursor"], str(ChangeLog.objects.order_by("-id").first().id))
        out = io.StringIO()
        call_command("djazzkit_dump", "--user", self.b, "--model", "notes.Note", stdout=out)
        snapshot = json.loads(out.getvalue())
        self.assertEqual(snapshot["models"]["notes.Note"]["rows"], [])
        self.assertEqual(snapshot["applied_mutations"], [])

    def test_save_command_goes_through_the_orm(self):
        out = io.StringIO()
        call_command("djazzkit_save", "notes.Note", "--row-id", self.row, "--data", '{"title": "cli"}', stdout=out)
        self.assertEqual(json.loads(out.getvalue())["data"]["title"], "cli")
        self.assertEqual(Note.objects.get(_djazzkit_id=self.row).title, "cli")
        last = ChangeLog.objects.order_by("-id").first()
        self.assertIsNone(last.rev)
        out = io.StringIO()
        call_command("djazzkit_save", "notes.Note", "--user", self.b, "--data", '{"title": "new"}', stdout=out)
        created = json.loads(out.getvalue())
        self.assertEqual(Note.objects.get(_djazzkit_id=created["row_id"]).author_id, self.bob.pk)
        call_command("djazzkit_save", "notes.Note", "--row-id", created["row_id"], "--delete", stdout=io.StringIO())
        self.assertFalse(Note.objects.filter(_djazzkit_id=created["row_id"]).exists())

    def test_schema_command(self):
        out = io.StringIO()
        call_command("djazzkit_schema", stdout=out)
        self.assertIn("notes.Note", json.loads(out.getvalue())["models"])


class MigrationsTests(RelayTestCase):
    def test_no_missing_migrations(self):
        call_command("makemigrations", "djazzkit", "notes", "--check", "--dry-run", stdout=io.StringIO())
