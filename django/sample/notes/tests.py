import io
import json
import os
import tempfile
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import TestCase, override_settings

from djazzkit.manifest import build_manifest
from djazzkit.models import ChangeLog, RowRevision
from djazzkit.testing import RelayTestCase, mutation as _mutation, rev

from .models import Note
from .resolvers import merge_notes

NOTE = "notes.Note"


def mutation(*args, **kwargs):
    return _mutation(*args, **dict({"model": NOTE}, **kwargs))


def note_data(author, **fields):
    data = {"title": "t", "body": "", "archived": False, "priority": None, "tags": None, "author": int(author)}
    data.update(fields)
    return data


REPO_MANIFEST = Path(__file__).resolve().parents[3] / "djazzkit.schema.json"


class SampleManifestTests(TestCase):
    @override_settings(DJAZZKIT_RELAY_SCHEMA_SALT="")
    def test_matches_the_shared_manifest_file(self):
        shared = json.loads(REPO_MANIFEST.read_text())
        ours = build_manifest()
        self.assertEqual(ours["models"], shared["models"])
        self.assertEqual(ours["schema_version"], shared["schema_version"])


class NoteRuleTests(TestCase):
    def test_reject_title(self):
        user = get_user_model().objects.create_user("u")
        with self.assertRaises(ValidationError):
            Note(title="REJECT", author=user).full_clean()
        Note(title="Reject me not", author=user).full_clean()


class ResolverTests(TestCase):
    def test_merge(self):
        ctx = {
            "user": "1", "model": "notes.Note", "row_id": "x",
            "winner": {"rev": "2-a", "data": {"title": "w", "body": "one", "tags": None, "priority": None, "archived": False, "author": 1}},
            "conflicts": [
                {"rev": "2-b", "data": {"title": "c1", "body": "two", "tags": ["t"], "priority": 2, "archived": True, "author": 1}},
                {"rev": "2-c", "data": {"title": "c2", "body": "one", "tags": ["t", "u"], "priority": 7, "archived": False, "author": 1}},
            ],
        }
        self.assertEqual(merge_notes(ctx), {"title": "w", "body": "one\ntwo", "tags": ["t", "u"], "priority": 7,
                                            "archived": False, "author": 1})

    def test_manual_keeps_conflict(self):
        ctx = {"winner": {"rev": "2-a", "data": {"body": "a"}}, "conflicts": [{"rev": "2-b", "data": {"body": "b", "tags": ["manual"]}}]}
        self.assertIsNone(merge_notes(ctx))


class SampleEndpointsTests(RelayTestCase):
    def test_login_sets_a_session_the_relay_auth_accepts(self):
        call_command("seed_users", "dora", "--password", "pw", stdout=io.StringIO())
        res = self.client.post("/sample/login", json.dumps({"username": "dora", "password": "pw"}), content_type="application/json")
        self.assertEqual(res.status_code, 200)
        body = res.json()
        self.assertEqual(res.cookies["sessionid"].value, body["session_key"])
        self.client.cookies.clear()
        auth = self.call("POST", "auth", {}, headers={"Cookie": body["cookie"]})
        self.assertEqual(auth.json(), {"user_id": body["user_id"]})
        bad = self.client.post("/sample/login", json.dumps({"username": "dora", "password": "no"}), content_type="application/json")
        self.assertEqual(bad.status_code, 401)

    def test_session_cookie_command(self):
        out = io.StringIO()
        call_command("seed_users", stdout=out)
        users = json.loads(out.getvalue())
        self.assertEqual(set(users), {"alice", "bob", "carol"})
        out = io.StringIO()
        call_command("session_cookie", "bob", stdout=out)
        cookie = json.loads(out.getvalue())
        auth = self.call("POST", "auth", {}, headers={"Cookie": cookie["cookie"]})
        self.assertEqual(auth.json(), {"user_id": users["bob"]})

    def test_schema_salt_command_and_hook(self):
        from sample import settings as sample_settings

        with tempfile.TemporaryDirectory() as tmp:
            salt_file = os.path.join(tmp, "salt")
            with override_settings(SALT_FILE=salt_file, DJAZZKIT_RELAY_SCHEMA_SALT=sample_settings._schema_salt,
                                   DJAZZKIT_SAMPLE_TEST_HOOKS=True):
                old_file = sample_settings.SALT_FILE
                sample_settings.SALT_FILE = salt_file
                try:
                    plain = self.call("GET", "schema").json()["schema_version"]
                    out = io.StringIO()
                    call_command("set_schema_salt", "bump1", stdout=out)
                    bumped = json.loads(out.getvalue())["schema_version"]
                    self.assertNotEqual(bumped, plain)
                    self.assertEqual(self.call("GET", "schema").json()["schema_version"], bumped)
                    res = self.client.post("/sample/schema-salt", json.dumps({"salt": ""}), content_type="application/json")
                    self.assertEqual(res.json()["schema_version"], plain)
                    self.assertEqual(self.call("GET", "schema").json()["schema_version"], plain)
                    self.assertEqual(self.client.get("/sample/dump").status_code, 200)
                finally:
                    sample_settings.SALT_FILE = old_file

    def test_hooks_are_off_by_default(self):
        with override_settings(DJAZZKIT_SAMPLE_TEST_HOOKS=False):
            self.assertEqual(self.client.post("/sample/schema-salt", "{}", content_type="application/json").status_code, 404)
            self.assertEqual(self.client.get("/sample/dump").status_code, 404)


@override_settings(DJAZZKIT_SAMPLE_TEST_HOOKS=True)
class FaultHookTests(RelayTestCase):
    def setUp(self):
        self.make_users()

    def tearDown(self):
        from . import faults

        faults.configure("off")

    def faults(self, **body):
        return self.client.post("/sample/faults", json.dumps(body), content_type="application/json")

    def test_error_after_commits_then_retry_is_a_duplicate(self):
        self.assertEqual(self.faults(mode="error_after", calls=["apply"], count=1).status_code, 200)
        m = mutation("f:1", self.new_id(), note_data(self.a, title="once"))
        res = self.call("POST", "apply", {"user": self.a, "mutations": [m]})
        self.assertEqual(res.status_code, 500)
        self.assertEqual(Note.objects.filter(title="once").count(), 1)
        again = self.apply(self.a, m)
        self.assertEqual(again[0]["status"], "applied")
        self.assertTrue(again[0]["duplicate"])
        self.assertEqual(Note.objects.filter(title="once").count(), 1)

    def test_error_before_applies_nothing(self):
        self.faults(mode="error_before", calls=["apply"], count=2)
        m = mutation("f:2", self.new_id(), note_data(self.a, title="later"))
        for _ in range(2):
            self.assertEqual(self.call("POST", "apply", {"user": self.a, "mutations": [m]}).status_code, 500)
        self.assertFalse(Note.objects.exists())
        self.assertEqual(self.call("GET", "schema").status_code, 200)  # other calls unaffected
        self.assertEqual(self.apply(self.a, m)[0]["status"], "applied")
        self.assertEqual(self.client.get("/sample/faults").json()["hits"], 2)

    def test_delay_and_bad_mode(self):
        import time as _time

        self.faults(mode="delay", calls=["schema"], count=1, delay_ms=200)
        started = _time.monotonic()
        self.assertEqual(self.call("GET", "schema").status_code, 200)
        self.assertGreaterEqual(_time.monotonic() - started, 0.2)
        self.assertEqual(self.faults(mode="explode").status_code, 400)


class TestCommandsTests(RelayTestCase):
    """The e2e-only commands of the sample: djazzkit_dump and djazzkit_save."""

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
        # a Django-side edit: a Django revision, child of the relay's winner the row held
        held = RowRevision.objects.get(model="notes.Note", row_id=self.row)
        self.assertEqual(last.rev, held.rev)
        self.assertRegex(last.rev, r"^2-[0-9a-f]{32}$")
        out = io.StringIO()
        call_command("djazzkit_save", "notes.Note", "--user", self.b, "--data", '{"title": "new"}', stdout=out)
        created = json.loads(out.getvalue())
        self.assertEqual(Note.objects.get(_djazzkit_id=created["row_id"]).author_id, self.bob.pk)
        call_command("djazzkit_save", "notes.Note", "--row-id", created["row_id"], "--delete", stdout=io.StringIO())
        self.assertFalse(Note.objects.filter(_djazzkit_id=created["row_id"]).exists())
