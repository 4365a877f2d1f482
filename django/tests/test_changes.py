from djazzkit.models import ChangeLog
from .testapp.models import Note

from .helpers import RelayTestCase, mutation, note_data, rev


class ChangesTests(RelayTestCase):
    def setUp(self):
        self.make_users()

    def changes(self, user, since=None, limit=None):
        q = "changes?user=%s" % user
        if since is not None:
            q += "&since=%s" % since
        if limit is not None:
            q += "&limit=%s" % limit
        res = self.call("GET", q)
        self.assertEqual(res.status_code, 200, res.content)
        return res.json()

    def test_django_edits_carry_a_django_revision(self):
        note = Note.objects.create(title="from django", author=self.alice, tags=["a"])
        page = self.changes(self.a)
        self.assertEqual(page["more"], False)
        self.assertEqual(len(page["rows"]), 1)
        row = page["rows"][0]
        self.assertEqual(row["model"], "testapp.Note")
        self.assertEqual(row["row_id"], str(note._djazzkit_id))
        self.assertEqual(row["deleted"], False)
        # a new row made in Django: a root revision (revisions.py), no ancestors
        self.assertRegex(row["rev"], r"^1-[0-9a-f]{32}$")
        self.assertEqual(row["revisions"], [row["rev"]])
        self.assertEqual(row["data"], {"title": "from django", "body": "", "archived": False, "priority": None,
                                       "tags": ["a"], "author": self.alice.pk})
        self.assertEqual(self.changes(self.a, since=page["cursor"])["rows"], [])

    def test_relay_writes_carry_their_rev(self):
        row = self.new_id()
        m = mutation("c:1", row, note_data(self.a, title="relay"))
        self.apply(self.a, m)
        page = self.changes(self.a)
        self.assertEqual(page["rows"][0]["rev"], m["rev"])
        # a later Django edit of the same row: latest state, a Django revision child of the relay's
        note = Note.objects.get(_djazzkit_id=row)
        note.title = "edited in django"
        note.save()
        rows = self.changes(self.a)["rows"]
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows[0]["data"]["title"], "edited in django")
        self.assertRegex(rows[0]["rev"], r"^2-[0-9a-f]{32}$")
        self.assertEqual(rows[0]["revisions"], [rows[0]["rev"], m["rev"]])

    def test_only_the_users_rows(self):
        Note.objects.create(title="a", author=self.alice)
        Note.objects.create(title="b", author=self.bob)
        self.assertEqual([r["data"]["title"] for r in self.changes(self.a)["rows"]], ["a"])
        self.assertEqual([r["data"]["title"] for r in self.changes(self.b)["rows"]], ["b"])

    def test_cursor_paging_latest_state_once(self):
        notes = [Note.objects.create(title="n%d" % i, author=self.alice) for i in range(5)]
        notes[0].title = "n0 again"
        notes[0].save()  # n0 now changed last
        seen, cursor, pages = [], None, 0
        while True:
            page = self.changes(self.a, since=cursor, limit=2)
            pages += 1
            seen += [r["data"]["title"] for r in page["rows"]]
            cursor = page["cursor"]
            if not page["more"]:
                break
        self.assertEqual(seen, ["n1", "n2", "n3", "n4", "n0 again"])
        self.assertEqual(pages, 3)
        self.assertEqual(self.changes(self.a, since=cursor), {"rows": [], "cursor": cursor, "more": False})

    def test_deletes(self):
        note = Note.objects.create(title="x", author=self.alice)
        row_id = str(note._djazzkit_id)
        cursor = self.changes(self.a)["cursor"]
        created = self.changes(self.a)["rows"][0]["rev"]
        note.delete()
        rows = self.changes(self.a, since=cursor)["rows"]
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows[0]["deleted"], True)
        self.assertEqual(rows[0]["data"], None)
        self.assertRegex(rows[0]["rev"], r"^2-[0-9a-f]{32}$")
        self.assertEqual(rows[0]["revisions"], [rows[0]["rev"], created])

    def test_relay_delete_carries_the_tombstone_rev(self):
        row = self.new_id()
        r1 = rev(1, "x")
        self.apply(self.a, mutation("c:1", row, note_data(self.a), r=r1))
        r2 = rev(2, "gone")
        self.apply(self.a, mutation("c:2", row, None, op="delete", deleted=True, r=r2, parent=r1))
        rows = self.changes(self.a)["rows"]
        self.assertEqual((rows[0]["deleted"], rows[0]["rev"], rows[0]["data"]), (True, r2, None))

    def test_ownership_transfer_removes_the_row_from_the_old_owner(self):
        note = Note.objects.create(title="x", author=self.alice)
        cursor = self.changes(self.a)["cursor"]
        note.author = self.bob
        note.save()
        rows = self.changes(self.a, since=cursor)["rows"]
        self.assertEqual((rows[0]["deleted"], rows[0]["data"]), (True, None))
        self.assertEqual(self.changes(self.b)["rows"][0]["data"]["author"], self.bob.pk)

    def test_shared_models_are_not_logged(self):
        from .testapp.models import Announcement

        Announcement.objects.create(title="hello")
        self.assertFalse(ChangeLog.objects.exists())

    def test_parameter_validation(self):
        for q in ("changes", "changes?user=%s&since=abc" % self.a, "changes?user=%s&since=-1" % self.a,
                  "changes?user=%s&limit=0" % self.a, "changes?user=%s&limit=100000" % self.a):
            res = self.call("GET", q)
            self.assertEqual(res.status_code, 400, q)

    def test_task_dates_serialise(self):
        from .testapp.models import Task
        import datetime

        Task.objects.create(title="t", owner=self.alice, due=datetime.date(2025, 2, 3))
        data = self.changes(self.a)["rows"][0]["data"]
        self.assertEqual(data, {"title": "t", "done": False, "due": "2025-02-03", "owner": self.alice.pk})


class PruneTests(RelayTestCase):
    def test_prune_keeps_answers(self):
        import io

        from django.core.management import call_command

        self.make_users()
        notes = [Note.objects.create(title="n%d" % i, author=self.alice) for i in range(3)]
        for note in notes:
            note.title += "!"
            note.save()
        Note.objects.create(title="bob", author=self.bob)
        before = self.call("GET", "changes?user=%s&since=2" % self.a).json()
        call_command("djazzkit_prune", stdout=io.StringIO())
        self.assertEqual(ChangeLog.objects.count(), 4)
        self.assertEqual(self.call("GET", "changes?user=%s&since=2" % self.a).json(), before)


class CursorResetTests(RelayTestCase):
    def test_cursor_from_the_future_restarts(self):
        self.make_users()
        Note.objects.create(title="a", author=self.alice)
        page = self.call("GET", "changes?user=%s&since=999999" % self.a).json()
        self.assertEqual([r["data"]["title"] for r in page["rows"]], ["a"])
