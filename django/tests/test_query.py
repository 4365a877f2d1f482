import datetime

from django.test import override_settings
from django.utils import timezone

from .helpers import RelayTestCase
from .testapp.models import Announcement, Note


class QueryTests(RelayTestCase):
    def setUp(self):
        self.make_users()
        self.n1 = Note.objects.create(title="Buy milk", body="2 litres", author=self.alice, priority=1, tags=["shop"])
        self.n2 = Note.objects.create(title="Call mum", author=self.alice, priority=3, archived=True)
        self.n3 = Note.objects.create(title="milkshake", author=self.alice, priority=None)
        self.nb = Note.objects.create(title="Bob's milk", author=self.bob, priority=2)

    def query(self, query, user="alice", status=200):
        uid = {"alice": self.a, "bob": self.b, None: None}[user]
        res = self.call("POST", "query", {"user": uid, "query": query})
        self.assertEqual(res.status_code, status, res.content)
        return res.json()

    def titles(self, where=None, **extra):
        q = {"model": "testapp.Note", "order_by": [["title", "asc"]]}
        if where is not None:
            q["where"] = where
        q.update(extra)
        return [r["title"] for r in self.query(q)["rows"]]

    def test_design_example(self):
        q = {
            "model": "testapp.Note",
            "where": {"and": [{"field": "title", "op": "icontains", "value": "milk"},
                              {"not": {"field": "archived", "op": "eq", "value": True}}]},
            "order_by": [["_djazzkit_updated_at", "desc"]],
            "limit": 50,
            "offset": 0,
        }
        answer = self.query(q)
        self.assertEqual([r["title"] for r in answer["rows"]], ["milkshake", "Buy milk"])
        self.assertEqual(answer["total"], 2)
        row = answer["rows"][1]
        self.assertEqual(row["_djazzkit_id"], str(self.n1._djazzkit_id))
        self.assertIn("_djazzkit_updated_at", row)
        self.assertEqual(row["author"], self.alice.pk)
        self.assertEqual(row["tags"], ["shop"])

    def test_operators(self):
        f = lambda field, op, value: {"field": field, "op": op, "value": value}  # noqa: E731
        self.assertEqual(self.titles(f("priority", "eq", 3)), ["Call mum"])
        self.assertEqual(self.titles(f("priority", "ne", 3)), ["Buy milk", "milkshake"])
        self.assertEqual(self.titles(f("priority", "lt", 3)), ["Buy milk"])
        self.assertEqual(self.titles(f("priority", "lte", 3)), ["Buy milk", "Call mum"])
        self.assertEqual(self.titles(f("priority", "gt", 1)), ["Call mum"])
        self.assertEqual(self.titles(f("priority", "gte", 1)), ["Buy milk", "Call mum"])
        self.assertEqual(self.titles(f("priority", "in", [1, 3])), ["Buy milk", "Call mum"])
        self.assertEqual(self.titles(f("priority", "in", [1, None])), ["Buy milk", "milkshake"])
        self.assertEqual(self.titles(f("priority", "isnull", True)), ["milkshake"])
        self.assertEqual(self.titles(f("priority", "eq", None)), ["milkshake"])
        self.assertEqual(self.titles(f("title", "startswith", "Buy")), ["Buy milk"])
        self.assertEqual(self.titles(f("body", "contains", "litres")), ["Buy milk"])
        self.assertEqual(self.titles(f("title", "icontains", "MILK")), ["Buy milk", "milkshake"])
        self.assertEqual(self.titles({"or": [f("priority", "eq", 1), f("archived", "eq", True)]}), ["Buy milk", "Call mum"])
        self.assertEqual(self.titles({"or": []}), [])
        self.assertEqual(self.titles({"and": []}), ["Buy milk", "Call mum", "milkshake"])
        self.assertEqual(self.titles(f("_djazzkit_id", "eq", str(self.n2._djazzkit_id))), ["Call mum"])
        self.assertEqual(self.titles(f("_djazzkit_deleted", "eq", False)), ["Buy milk", "Call mum", "milkshake"])
        self.assertEqual(self.titles(f("_djazzkit_deleted", "eq", True)), [])
        self.assertEqual(self.titles(f("author", "eq", self.alice.pk)), ["Buy milk", "Call mum", "milkshake"])

    def test_order_limit_offset_total(self):
        q = {"model": "testapp.Note", "order_by": [["priority", "desc"], ["title", "asc"]], "limit": 2, "offset": 1}
        answer = self.query(q)
        self.assertEqual(answer["total"], 3)
        self.assertEqual(len(answer["rows"]), 2)

    def test_owner_scoping(self):
        self.assertEqual(self.titles(), ["Buy milk", "Call mum", "milkshake"])
        self.assertEqual([r["title"] for r in self.query({"model": "testapp.Note"}, user="bob")["rows"]], ["Bob's milk"])
        # naming another owner explicitly does not widen the scope
        self.assertEqual(self.titles({"field": "author", "op": "eq", "value": self.bob.pk}), [])
        self.assertEqual(self.query({"model": "testapp.Note"}, user=None), {"rows": [], "total": 0})

    def test_shared_remote_model_for_anyone(self):
        Announcement.objects.create(title="hello", published_at=timezone.make_aware(datetime.datetime(2025, 1, 2, 3, 4, 5)))
        Announcement.objects.create(title="draft")
        answer = self.query({"model": "testapp.Announcement", "where": {"field": "published_at", "op": "isnull", "value": False}}, user=None)
        self.assertEqual(answer["total"], 1)
        self.assertEqual(answer["rows"][0]["published_at"], "2025-01-02T03:04:05+00:00")
        answer = self.query({"model": "testapp.Announcement", "where": {"field": "published_at", "op": "gte", "value": "2025-01-01T00:00:00Z"}})
        self.assertEqual([r["title"] for r in answer["rows"]], ["hello"])

    def test_unknown_field_and_model(self):
        for field in ("nope", "author__password", "author__username", "title__icontains", "pk", "id", "title; DROP TABLE testapp_note"):
            res = self.query({"model": "testapp.Note", "where": {"field": field, "op": "eq", "value": "x"}}, status=400)
            self.assertEqual(res["code"], "unknown_field", field)
        res = self.query({"model": "testapp.Note", "order_by": [["author__password", "asc"]]}, status=400)
        self.assertEqual(res["code"], "unknown_field")
        res = self.query({"model": "auth.User"}, status=400)
        self.assertEqual(res["code"], "unknown_model")
        res = self.query({"model": "testapp.Note", "extra": 1}, status=400)
        self.assertEqual(res["code"], "invalid_query")

    def test_injection_values_are_parameters(self):
        for value in ("' OR 1=1 --", "%", "_", "milk'); DROP TABLE testapp_note; --", "\\"):
            self.assertEqual(self.titles({"field": "title", "op": "eq", "value": value}), [], value)
        self.assertEqual(self.titles({"field": "title", "op": "contains", "value": "%"}), [])
        self.assertEqual(self.titles({"field": "title", "op": "startswith", "value": "_"}), [])
        self.assertEqual(Note.objects.count(), 4)

    def test_bounds(self):
        self.assertEqual(self.query({"model": "testapp.Note", "limit": 0}, status=400)["code"], "limit_out_of_range")
        self.assertEqual(self.query({"model": "testapp.Note", "limit": 1001}, status=400)["code"], "limit_out_of_range")
        self.assertEqual(self.query({"model": "testapp.Note", "limit": "5"}, status=400)["code"], "limit_out_of_range")
        self.assertEqual(self.query({"model": "testapp.Note", "offset": -1}, status=400)["code"], "offset_out_of_range")
        self.assertEqual(self.query({"model": "testapp.Note", "offset": 10001}, status=400)["code"], "offset_out_of_range")
        deep = {"field": "title", "op": "eq", "value": "x"}
        for _ in range(8):
            deep = {"not": deep}
        self.assertEqual(self.query({"model": "testapp.Note", "where": deep}, status=400)["code"], "query_too_complex")
        wide = {"or": [{"field": "title", "op": "eq", "value": str(i)} for i in range(64)]}
        self.assertEqual(self.query({"model": "testapp.Note", "where": wide}, status=400)["code"], "query_too_complex")
        big_in = {"field": "priority", "op": "in", "value": list(range(501))}
        self.assertEqual(self.query({"model": "testapp.Note", "where": big_in}, status=400)["code"], "query_too_complex")

    @override_settings(DJAZZKIT_RELAY_QUERY_MAX_LIMIT=2)
    def test_bounds_follow_settings(self):
        self.assertEqual(self.query({"model": "testapp.Note", "limit": 3}, status=400)["code"], "limit_out_of_range")

    def test_invalid_values_and_operators(self):
        bad = [
            {"field": "priority", "op": "contains", "value": "1"},
            {"field": "priority", "op": "eq", "value": "high"},
            {"field": "priority", "op": "in", "value": 1},
            {"field": "priority", "op": "isnull", "value": "yes"},
            {"field": "priority", "op": "regex", "value": ".*"},
            {"field": "title", "op": "eq", "value": {"a": 1}},
            {"field": "tags", "op": "gt", "value": 1},
            {"field": "_djazzkit_rev", "op": "eq", "value": 1},
            {"field": "title", "op": "eq"},
            "title = 1",
        ]
        for where in bad:
            res = self.query({"model": "testapp.Note", "where": where}, status=400)
            self.assertEqual(res["code"], "invalid_query", where)
