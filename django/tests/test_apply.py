from django.test import override_settings

from djazzkit.models import AppliedMutation, ChangeLog, RowConflict, RowRevision

from .helpers import RelayTestCase, mutation, note_data, rev
from .testapp.models import Announcement, Note, Task


class ApplyTests(RelayTestCase):
    def setUp(self):
        self.make_users()

    def test_create_lands_in_django(self):
        row = self.new_id()
        m = mutation("c1:1", row, note_data(self.a, title="milk", tags=["x"], priority=3))
        self.assertEqual(self.apply(self.a, m), [{"mutation_id": "c1:1", "status": "applied"}])
        note = Note.objects.get(_djazzkit_id=row)
        self.assertEqual((note.title, note.tags, note.priority, note.author_id), ("milk", ["x"], 3, self.alice.pk))
        self.assertEqual(note.djazzkit_rev(), m["rev"])
        entry = ChangeLog.objects.get(row_id=row)
        self.assertEqual((entry.user_id, entry.rev, entry.deleted), (self.a, m["rev"], False))

    def test_repeated_mutation_id_returns_first_result_and_changes_nothing(self):
        row = self.new_id()
        first = self.apply(self.a, mutation("c1:1", row, note_data(self.a, title="one")))
        again = self.apply(self.a, mutation("c1:1", row, note_data(self.a, title="two"), r=rev(2, "x")))
        self.assertEqual(first[0]["status"], "applied")
        self.assertEqual(again[0], dict(first[0], duplicate=True))
        self.assertEqual(Note.objects.get(_djazzkit_id=row).title, "one")
        self.assertEqual(ChangeLog.objects.count(), 1)
        self.assertEqual(AppliedMutation.objects.filter(mutation_id="c1:1").count(), 1)

    def test_same_id_twice_in_one_batch_applies_once(self):
        row = self.new_id()
        m = mutation("c1:1", row, note_data(self.a))
        results = self.apply(self.a, m, m)
        self.assertEqual(results[0]["status"], "applied")
        self.assertTrue(results[1]["duplicate"])
        self.assertEqual(Note.objects.count(), 1)

    def test_business_rejection(self):
        row = self.new_id()
        results = self.apply(self.a, mutation("c1:1", row, note_data(self.a, title="REJECT")))
        self.assertEqual(results[0]["status"], "rejected")
        self.assertEqual(results[0]["code"], "origin_rejected")
        self.assertIn("REJECT", results[0]["message"])
        self.assertFalse(Note.objects.exists())
        self.assertFalse(RowRevision.objects.exists())
        self.assertFalse(ChangeLog.objects.exists())
        # the rejection is the first result of that id
        again = self.apply(self.a, mutation("c1:1", row, note_data(self.a, title="fine")))
        self.assertEqual(again[0]["status"], "rejected")
        self.assertTrue(again[0]["duplicate"])
        self.assertFalse(Note.objects.exists())

    def test_rejected_update_keeps_the_row(self):
        row = self.new_id()
        r1 = rev(1, "a")
        self.apply(self.a, mutation("c1:1", row, note_data(self.a, title="ok"), r=r1))
        r2 = rev(2, "b")
        res = self.apply(self.a, mutation("c1:2", row, note_data(self.a, title="REJECT"), r=r2, op="update", parent=r1))
        self.assertEqual(res[0]["status"], "rejected")
        note = Note.objects.get(_djazzkit_id=row)
        self.assertEqual(note.title, "ok")
        self.assertEqual(note.djazzkit_rev(), r1)

    def test_invalid_values_are_rejected(self):
        row = self.new_id()
        res = self.apply(
            self.a,
            mutation("c1:1", row, note_data(self.a, priority="high")),
            mutation("c1:2", row, note_data(self.a, nope=1)),
            mutation("c1:3", "not-a-uuid", note_data(self.a)),
            mutation("c1:4", row, note_data(self.a, title="x" * 201)),
            mutation("c1:5", row, note_data(self.a, archived=None)),
        )
        self.assertEqual([r["code"] for r in res],
                         ["invalid_field_value", "unknown_field", "invalid_field_value", "origin_rejected", "invalid_field_value"])
        self.assertFalse(Note.objects.exists())

    def test_ownership_of_data(self):
        res = self.apply(self.a, mutation("c1:1", self.new_id(), note_data(self.b)))
        self.assertEqual((res[0]["status"], res[0]["code"]), ("rejected", "forbidden"))
        self.assertFalse(Note.objects.exists())

    def test_ownership_of_existing_row(self):
        row = self.new_id()
        self.apply(self.b, mutation("b:1", row, note_data(self.b, title="bob's")))
        res = self.apply(self.a, mutation("a:1", row, note_data(self.a, title="mine now"), op="update", r=rev(2, "z")))
        self.assertEqual(res[0]["code"], "forbidden")
        res = self.apply(self.a, mutation("a:2", row, None, op="delete", deleted=True, r=rev(2, "d")))
        self.assertEqual(res[0]["code"], "forbidden")
        note = Note.objects.get(_djazzkit_id=row)
        self.assertEqual((note.title, note.author_id), ("bob's", self.bob.pk))

    def test_owner_is_set_from_user_when_missing(self):
        row = self.new_id()
        data = note_data(self.a)
        del data["author"]
        self.assertEqual(self.apply(self.a, mutation("c1:1", row, data))[0]["status"], "applied")
        self.assertEqual(Note.objects.get(_djazzkit_id=row).author_id, self.alice.pk)

    def test_shared_and_unknown_models_cannot_be_pushed(self):
        res = self.apply(
            self.a,
            mutation("c1:1", self.new_id(), {"title": "x", "body": "", "published_at": None}, model="testapp.Announcement"),
            mutation("c1:2", self.new_id(), {"title": "x"}, model="testapp.Nope"),
        )
        self.assertEqual([r["code"] for r in res], ["forbidden", "unknown_model"])
        self.assertFalse(Announcement.objects.exists())

    def test_delete_removes_the_row_and_logs_the_tombstone(self):
        row = self.new_id()
        r1 = rev(1, "a")
        self.apply(self.a, mutation("c1:1", row, note_data(self.a), r=r1))
        r2 = rev(2, "del")
        res = self.apply(self.a, mutation("c1:2", row, None, op="delete", deleted=True, r=r2, parent=r1))
        self.assertEqual(res[0]["status"], "applied")
        self.assertFalse(Note.objects.filter(_djazzkit_id=row).exists())
        self.assertEqual(RowRevision.objects.get(row_id=row).rev, r2)
        self.assertTrue(RowRevision.objects.get(row_id=row).deleted)
        last = ChangeLog.objects.order_by("-id").first()
        self.assertEqual((last.deleted, last.rev), (True, r2))
        # deleting a row Django never had is fine (idempotent)
        res = self.apply(self.a, mutation("c1:3", self.new_id(), None, op="delete", deleted=True))
        self.assertEqual(res[0]["status"], "applied")

    def test_lww_update(self):
        row = self.new_id()
        r1 = rev(1, "t")
        data = {"title": "task", "done": False, "due": "2025-01-31", "owner": int(self.a)}
        self.apply(self.a, mutation("c1:1", row, data, r=r1, model="testapp.Task"))
        r2 = rev(2, "t2")
        self.apply(self.a, mutation("c1:2", row, dict(data, done=True), r=r2, op="update", parent=r1, model="testapp.Task"))
        task = Task.objects.get(_djazzkit_id=row)
        self.assertTrue(task.done)
        self.assertEqual(task.due.isoformat(), "2025-01-31")

    def test_losing_branch_keeps_the_winner_and_stores_conflicts(self):
        row = self.new_id()
        r1 = rev(1, "root")
        self.apply(self.a, mutation("c1:1", row, note_data(self.a, body="root"), r=r1))
        win = rev(2, "win")
        self.apply(self.a, mutation("c1:2", row, note_data(self.a, body="winner"), r=win, op="update", parent=r1))
        lose = rev(2, "lose")
        loser_data = note_data(self.a, body="loser")
        res = self.apply(
            self.a,
            mutation("c2:1", row, loser_data, r=lose, op="update", parent=r1,
                     winner={"rev": win, "data": note_data(self.a, body="winner"), "deleted": False},
                     conflicts=[{"rev": lose, "data": loser_data}]),
        )
        self.assertEqual(res[0]["status"], "applied")
        note = Note.objects.get(_djazzkit_id=row)
        self.assertEqual(note.body, "winner")
        self.assertEqual(note.djazzkit_rev(), win)
        self.assertEqual(note.djazzkit_conflicts(), [{"rev": lose, "data": loser_data}])
        self.assertEqual(list(Note.objects.with_conflicts()), [note])
        self.assertEqual(list(Note.objects.without_conflicts()), [])
        # a resolution: a child of the winner, conflicts gone
        merged = rev(3, "merged")
        res = self.apply(self.a, mutation("c1:3", row, note_data(self.a, body="winner\nloser"), r=merged, op="update", parent=win))
        self.assertEqual(res[0]["status"], "applied")
        self.assertEqual(list(Note.objects.with_conflicts()), [])
        self.assertFalse(RowConflict.objects.exists())
        self.assertEqual(Note.objects.get(_djazzkit_id=row).body, "winner\nloser")

    def test_winner_other_than_the_mutation_is_written(self):
        # the relay's winner can be another branch than the mutation: Django holds the winner
        row = self.new_id()
        mine = rev(1, "mine")
        theirs = rev(1, "theirs")
        res = self.apply(
            self.a,
            mutation("c1:1", row, note_data(self.a, body="mine"), r=mine,
                     winner={"rev": theirs, "data": note_data(self.a, body="theirs"), "deleted": False},
                     conflicts=[{"rev": mine, "data": note_data(self.a, body="mine")}]),
        )
        self.assertEqual(res[0]["status"], "applied")
        note = Note.objects.get(_djazzkit_id=row)
        self.assertEqual((note.body, note.djazzkit_rev()), ("theirs", theirs))

    def test_structural_errors_are_400(self):
        res = self.call("POST", "apply", {"user": self.a, "mutations": [{"mutation_id": "x"}]})
        self.assertEqual(res.status_code, 400)
        self.assertEqual(res.json()["code"], "invalid_message")
        res = self.call("POST", "apply", raw_body="not json")
        self.assertEqual(res.status_code, 400)
        res = self.call("POST", "apply", {"mutations": []})
        self.assertEqual(res.status_code, 400)

    @override_settings(DJAZZKIT_RELAY_MAX_MUTATIONS=2)
    def test_too_many_mutations(self):
        ms = [mutation("c:%d" % i, self.new_id(), note_data(self.a)) for i in range(3)]
        res = self.call("POST", "apply", {"user": self.a, "mutations": ms})
        self.assertEqual((res.status_code, res.json()["code"]), (400, "too_many_mutations"))
        self.assertFalse(Note.objects.exists())

    def test_validator_hook_can_reject(self):
        from djazzkit import Rejected
        from djazzkit.sync import clear_cache

        def no_tuesday(ctx):
            if ctx["data"] and ctx["data"].get("title") == "tuesday":
                raise Rejected("no notes on tuesday", code="origin_rejected")

        Note.SyncMeta.validator = no_tuesday
        clear_cache()
        try:
            res = self.apply(self.a, mutation("c1:1", self.new_id(), note_data(self.a, title="tuesday")))
        finally:
            del Note.SyncMeta.validator
            clear_cache()
        self.assertEqual((res[0]["status"], res[0]["message"]), ("rejected", "no notes on tuesday"))


class ApplyWritesOnlyValidStatesTests(RelayTestCase):
    """Issue 8 items 2 and 5: Django validates the state it actually writes, and a value the
    database refuses is a rejection of that one item, never a 5xx that wedges the batch."""

    def setUp(self):
        self.make_users()

    def test_a_winner_its_validation_refuses_is_never_stored(self):
        row = self.new_id()
        r1 = rev(1, "root")
        self.apply(self.a, mutation("c1:1", row, note_data(self.a, title="ok"), r=r1))
        bad, mine = rev(3, "bad"), rev(2, "mine")
        res = self.apply(
            self.a,
            mutation("c1:2", row, note_data(self.a, title="valid"), r=mine, op="update", parent=r1,
                     winner={"rev": bad, "data": note_data(self.a, title="REJECT"), "deleted": False},
                     conflicts=[{"rev": mine, "data": note_data(self.a, title="valid")}]),
        )
        self.assertEqual((res[0]["status"], res[0]["code"]), ("rejected", "origin_rejected"))
        self.assertIn("REJECT", res[0]["message"])
        note = Note.objects.get(_djazzkit_id=row)
        self.assertEqual((note.title, note.djazzkit_rev()), ("ok", r1))
        self.assertFalse(RowConflict.objects.exists())

    def test_a_winner_the_validator_refuses_is_never_stored(self):
        from djazzkit import Rejected
        from djazzkit.sync import clear_cache

        def no_tuesday(ctx):
            if ctx["data"] and ctx["data"].get("title") == "tuesday":
                raise Rejected("no notes on tuesday", code="origin_rejected")

        row = self.new_id()
        Note.SyncMeta.validator = no_tuesday
        clear_cache()
        try:
            theirs = rev(1, "theirs")
            res = self.apply(
                self.a,
                mutation("c1:1", row, note_data(self.a, title="monday"),
                         winner={"rev": theirs, "data": note_data(self.a, title="tuesday"), "deleted": False}),
            )
        finally:
            del Note.SyncMeta.validator
            clear_cache()
        self.assertEqual((res[0]["status"], res[0]["message"]), ("rejected", "no notes on tuesday"))
        self.assertFalse(Note.objects.filter(_djazzkit_id=row).exists())

    def test_a_value_the_database_refuses_rejects_that_item_only(self):
        from django.db import connection

        nul_title, nul_tags, fine = self.new_id(), self.new_id(), self.new_id()
        res = self.call("POST", "apply", {"user": self.a, "mutations": [
            mutation("c1:1", nul_title, note_data(self.a, title="a\u0000b")),
            mutation("c1:2", nul_tags, note_data(self.a, tags=["x\u0000"])),
            mutation("c1:3", fine, note_data(self.a, title="fine")),
        ]})
        self.assertEqual(res.status_code, 200)
        results = res.json()["results"]
        self.assertEqual(results[2]["status"], "applied")
        self.assertTrue(Note.objects.filter(_djazzkit_id=fine).exists())
        if connection.vendor == "postgresql":
            # PostgreSQL cannot store NUL in text (psycopg2 ValueError) nor \u0000 in jsonb (DataError)
            for r in results[:2]:
                self.assertEqual((r["status"], r["code"]), ("rejected", "invalid_field_value"))
            self.assertFalse(Note.objects.filter(_djazzkit_id__in=[nul_title, nul_tags]).exists())
            again = self.apply(self.a, mutation("c1:1", nul_title, note_data(self.a, title="a\u0000b")))
            self.assertEqual((again[0]["status"], again[0].get("duplicate")), ("rejected", True))
        else:
            self.assertEqual([r["status"] for r in results[:2]], ["applied", "applied"])
