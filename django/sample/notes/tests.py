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
from djazzkit.tests.helpers import RelayTestCase

from .models import Note
from .resolvers import merge_notes

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
        from djazzkit.tests.helpers import mutation, note_data

        self.assertEqual(self.faults(mode="error_after", calls=["apply"], count=1).status_code, 200)
        m = mutation("f:1", self.new_id(), note_data(self.a, title="once"))
        res = self.call("POST", "apply", {"user": self.a, "mutations": [m]}, user=self.a)
        self.assertEqual(res.status_code, 500)
        self.assertEqual(Note.objects.filter(title="once").count(), 1)
        again = self.apply(self.a, m)
        self.assertEqual(again[0]["status"], "applied")
        self.assertTrue(again[0]["duplicate"])
        self.assertEqual(Note.objects.filter(title="once").count(), 1)

    def test_error_before_applies_nothing(self):
        from djazzkit.tests.helpers import mutation, note_data

        self.faults(mode="error_before", calls=["apply"], count=2)
        m = mutation("f:2", self.new_id(), note_data(self.a, title="later"))
        for _ in range(2):
            self.assertEqual(self.call("POST", "apply", {"user": self.a, "mutations": [m]}, user=self.a).status_code, 500)
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
