"""Both sides write (issue 14): Django-side revisions and concurrent relay writes in ``apply``."""
from djazzkit.models import AppliedMutation, RowConflict, RowRevision
from djazzkit.revisions import rank, revision_id
from .testapp.models import Note, Task

from .helpers import RelayTestCase, mutation, note_data, rev


def task_data(owner, **fields):
    data = {"title": "t", "done": False, "due": None, "owner": int(owner)}
    data.update(fields)
    return data


class BothSidesTests(RelayTestCase):
    def setUp(self):
        self.make_users()

    def held(self, row):
        return RowRevision.objects.get(row_id=row)

    def relay_note(self, title="relay"):
        """A note created through the relay: (row id, its revision r1)."""
        row = self.new_id()
        m = mutation("c:%s" % row, row, note_data(self.a, title=title))
        self.assertEqual(self.apply(self.a, m)[0]["status"], "applied")
        return row, m["rev"]

    def django_edit(self, row, **fields):
        note = Note.objects.get(_djazzkit_id=row)
        for k, v in fields.items():
            setattr(note, k, v)
        note.save()
        return self.held(row).rev

    def test_a_django_edit_is_a_child_of_the_revision_django_held(self):
        row, r1 = self.relay_note()
        d = self.django_edit(row, title="from django")
        held = self.held(row)
        self.assertEqual(held.ancestors, [r1])
        self.assertRegex(d, r"^2-[0-9a-f]{32}$")
        # the relay's id rule: sha256 over [deleted, parent, data]
        self.assertEqual(d, revision_id(False, r1, note_data(self.a, title="from django")))
        d2 = self.django_edit(row, title="again")
        self.assertEqual(self.held(row).ancestors, [d, r1])
        self.assertRegex(d2, r"^3-")

    def test_a_write_built_on_djangos_revision_is_not_concurrent(self):
        row, r1 = self.relay_note()
        d = self.django_edit(row, title="from django")
        r3 = rev(3, "after-django")
        m = mutation("u:1", row, note_data(self.a, title="relay after"), r=r3, op="update", parent=d)
        result = self.apply(self.a, m)[0]
        self.assertEqual(result, {"mutation_id": "u:1", "status": "applied"})
        self.assertEqual(Note.objects.get(_djazzkit_id=row).title, "relay after")
        self.assertFalse(RowConflict.objects.filter(row_id=row).exists())
        self.assertEqual(self.held(row).ancestors, [d])

    def test_a_known_revision_in_the_winners_ancestry_is_not_concurrent(self):
        row, r1 = self.relay_note()
        d = self.django_edit(row, title="from django")
        r3, r4 = rev(3, "x"), rev(4, "y")
        m = mutation("u:1", row, note_data(self.a, title="deep"), r=r4, op="update", parent=r3)
        m["ancestry"] = [r3, d, r1]
        self.assertNotIn("concurrent", self.apply(self.a, m)[0])
        self.assertEqual(self.held(row).ancestors, [r3, d, r1])

    def test_revision_tree_keeps_both_when_the_relays_winner_wins(self):
        row, r1 = self.relay_note()
        d = self.django_edit(row, title="from django")  # gen 2
        r3 = rev(3, "client-deep")  # the relay's branch is deeper: it wins by the rule
        m = mutation("u:1", row, note_data(self.a, title="from client"), r=r3, op="update", parent=rev(2, "c"))
        m["ancestry"] = [rev(2, "c"), r1]
        result = self.apply(self.a, m)[0]
        self.assertEqual(result["status"], "applied")
        self.assertEqual(result["concurrent"], {
            "rev": d, "revisions": [d, r1], "data": note_data(self.a, title="from django"), "deleted": False,
        })
        note = Note.objects.get(_djazzkit_id=row)
        self.assertEqual(note.title, "from client")
        self.assertEqual(note.djazzkit_rev(), r3)
        self.assertEqual(note.djazzkit_conflicts(), [{"rev": d, "data": note_data(self.a, title="from django")}])
        self.assertEqual(list(Note.objects.with_conflicts().values_list("title", flat=True)), ["from client"])

    def test_revision_tree_keeps_both_when_djangos_revision_wins(self):
        row, r1 = self.relay_note()
        d = self.django_edit(row, title="from django")  # gen 2
        r2 = rev(2, "client")
        m = mutation("u:1", row, note_data(self.a, title="from client"), r=r2, op="update", parent=r1)
        expect_django_wins = rank(d, False) > rank(r2, False)
        result = self.apply(self.a, m)[0]
        self.assertEqual(result["concurrent"]["rev"], d)
        note = Note.objects.get(_djazzkit_id=row)
        winner, loser = ((d, "from django"), (r2, "from client")) if expect_django_wins else ((r2, "from client"), (d, "from django"))
        self.assertEqual((note.djazzkit_rev(), note.title), winner)
        self.assertEqual([(c["rev"], c["data"]["title"]) for c in note.djazzkit_conflicts()], [loser])

    def test_django_wins_when_its_branch_is_deeper(self):
        row, r1 = self.relay_note()
        self.django_edit(row, title="django 1")
        d = self.django_edit(row, title="django 2")  # gen 3
        r2 = rev(2, "client")
        m = mutation("u:1", row, note_data(self.a, title="from client"), r=r2, op="update", parent=r1)
        self.apply(self.a, m)
        note = Note.objects.get(_djazzkit_id=row)
        self.assertEqual((note.title, note.djazzkit_rev()), ("django 2", d))
        self.assertEqual(note.djazzkit_conflicts(), [{"rev": r2, "data": note_data(self.a, title="from client")}])

    def test_a_conflict_the_relay_lists_that_django_built_on_is_not_kept(self):
        # sim seed 62: the relay pulled Django's first edit d1 (a conflict beside its pending
        # r2), Django edited again (d2, a child of d1), then r2 arrived listing d1 as a conflict.
        # Django's deeper branch wins; d1 has a child, so only r2 is left beside it.
        row, r1 = self.relay_note()
        d1 = self.django_edit(row, title="django 1")
        d2 = self.django_edit(row, title="django 2")
        r2 = rev(2, "client")
        data = note_data(self.a, title="from client")
        d1_data = note_data(self.a, title="django 1")
        m = mutation("u:1", row, data, r=r2, op="update", parent=r1, conflicts=[{"rev": d1, "data": d1_data}])
        result = self.apply(self.a, m)[0]
        self.assertEqual(result["concurrent"]["rev"], d2)
        note = Note.objects.get(_djazzkit_id=row)
        self.assertEqual((note.title, note.djazzkit_rev()), ("django 2", d2))
        self.assertEqual(note.djazzkit_conflicts(), [{"rev": r2, "data": data}])
        self.assertEqual(list(RowConflict.objects.filter(row_id=row).values_list("rev", flat=True)), [r2])

    def test_a_repeated_delivery_answers_the_same_concurrent_branch(self):
        row, r1 = self.relay_note()
        self.django_edit(row, title="from django")
        m = mutation("u:1", row, note_data(self.a, title="from client"), r=rev(3, "c"), op="update", parent=rev(2, "p"))
        first = self.apply(self.a, m)[0]
        again = self.apply(self.a, m)[0]
        self.assertEqual(again, dict(first, duplicate=True))
        self.assertEqual(AppliedMutation.objects.get(mutation_id="u:1").concurrent, first["concurrent"])

    def test_a_django_delete_loses_to_a_concurrent_live_edit(self):
        row, r1 = self.relay_note()
        Note.objects.get(_djazzkit_id=row).delete()
        d = self.held(row)
        self.assertTrue(d.deleted)
        m = mutation("u:1", row, note_data(self.a, title="edited"), r=rev(2, "e"), op="update", parent=r1)
        result = self.apply(self.a, m)[0]
        self.assertEqual(result["concurrent"], {"rev": d.rev, "revisions": [d.rev, r1], "data": None, "deleted": True})
        note = Note.objects.get(_djazzkit_id=row)
        self.assertEqual(note.title, "edited")
        self.assertEqual(note.djazzkit_conflicts(), [])  # a tombstone is never a conflict

    def test_lww_the_write_that_reached_django_last_wins(self):
        row = self.new_id()
        c = mutation("t:1", row, task_data(self.a, title="relay"), model="testapp.Task")
        self.apply(self.a, c)
        task = Task.objects.get(_djazzkit_id=row)
        task.title = "from django"
        task.save()
        m = mutation("t:2", row, task_data(self.a, title="from client"), r=rev(2, "t"), op="update",
                     parent=c["rev"], model="testapp.Task")
        result = self.apply(self.a, m)[0]
        self.assertEqual(result, {"mutation_id": "t:2", "status": "applied"})
        task.refresh_from_db()
        self.assertEqual(task.title, "from client")
        self.assertEqual(task.djazzkit_rev(), m["rev"])
        self.assertFalse(RowConflict.objects.filter(row_id=row).exists())
