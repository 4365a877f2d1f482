import io
import json

from django.contrib.auth import get_user_model
from django.core.management import call_command

from .helpers import RelayTestCase, mutation, note_data, rev
from .testapp.models import Note


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
        listing = self.client.get("/admin/testapp/note/")
        self.assertEqual(listing.status_code, 200)
        self.assertContains(listing, self.lose)
        filtered = self.client.get("/admin/testapp/note/?djazzkit_conflicts=yes")
        self.assertContains(filtered, self.lose)
        self.assertNotContains(filtered, "plain")
        note = Note.objects.get(_djazzkit_id=self.row)
        page = self.client.get("/admin/testapp/note/%d/change/" % note.pk)
        self.assertEqual(page.status_code, 200)
        self.assertContains(page, self.lose)
        self.assertContains(page, "lose me")
        self.assertContains(page, self.win)
        for url in ("/admin/djazzkit/rowconflict/", "/admin/djazzkit/appliedmutation/",
                    "/admin/djazzkit/changelog/", "/admin/djazzkit/rowrevision/"):
            self.assertEqual(self.client.get(url).status_code, 200, url)

    def test_schema_command(self):
        out = io.StringIO()
        call_command("djazzkit_schema", stdout=out)
        self.assertIn("testapp.Note", json.loads(out.getvalue())["models"])


class MigrationsTests(RelayTestCase):
    def test_no_missing_migrations(self):
        call_command("makemigrations", "djazzkit", "testapp", "--check", "--dry-run", stdout=io.StringIO())
