"""Issue 8, items 1, 3 and 6 at the origin: who a call acts for, and whose mutation an id names.

- Idempotency is per user: the key of ``AppliedMutation`` is (user, mutation_id).
- A user id has one spelling, ``str(pk)``: ``"01"``, ``"+1"``, ``"1_0"`` or ``"١"`` are refused
  by apply, changes, query, rpc and auth, never read as user 1.
- The user travels only in signed content (body or signed query string); ``X-Djazzkit-User``
  decides nothing. Any Unicode user id round-trips. A signed call's nonce is accepted once.
"""
import io
import json
import time

from django.core.cache import cache
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test import TransactionTestCase, override_settings

from djazzkit.models import AppliedMutation
from djazzkit.signing import NONCE_HEADER, signed_headers

from .helpers import NOTE, PREFIX, RELAY_SETTINGS, SECRET, RelayTestCase, mutation, note_data
from .testapp.models import Note


def spellings(pk):
    """Other spellings that int() reads as ``pk``."""
    text = str(pk)
    arabic = "".join(chr(0x0660 + int(d)) for d in text)
    out = ["0" + text, "+" + text, " " + text, text + " ", arabic]
    if len(text) >= 2:
        out.append(text[0] + "_" + text[1:])
    return out


class PerUserIdempotencyTests(RelayTestCase):
    def setUp(self):
        self.make_users()

    def test_one_mutation_id_of_two_users_writes_both_rows(self):
        ra, rb = self.new_id(), self.new_id()
        [a] = self.apply(self.a, mutation("c:1", ra, note_data(self.a, title="alice's")))
        [b] = self.apply(self.b, mutation("c:1", rb, note_data(self.b, title="bob's")))
        self.assertEqual(a, {"mutation_id": "c:1", "status": "applied"})
        self.assertEqual(b, {"mutation_id": "c:1", "status": "applied"})
        self.assertEqual(Note.objects.get(_djazzkit_id=rb).author_id, self.bob.pk)
        self.assertEqual(Note.objects.get(_djazzkit_id=ra).author_id, self.alice.pk)
        self.assertEqual(AppliedMutation.objects.filter(mutation_id="c:1").count(), 2)
        # Within one user the id still answers its first result.
        [again] = self.apply(self.b, mutation("c:1", rb, note_data(self.b, title="bob's")))
        self.assertEqual(again, {"mutation_id": "c:1", "status": "applied", "duplicate": True})

    def test_a_rejection_of_one_user_is_not_another_users_answer(self):
        ra, rb = self.new_id(), self.new_id()
        [a] = self.apply(self.a, mutation("c:2", ra, note_data(self.b)))  # names another owner
        self.assertEqual(a["code"], "forbidden")
        [b] = self.apply(self.b, mutation("c:2", rb, note_data(self.b)))
        self.assertEqual(b, {"mutation_id": "c:2", "status": "applied"})

    def test_the_key_is_unique_per_user(self):
        AppliedMutation.objects.create(mutation_id="k", user_id=self.a, model=NOTE, row_id="r", operation="create", status="applied")
        AppliedMutation.objects.create(mutation_id="k", user_id=self.b, model=NOTE, row_id="r", operation="create", status="applied")
        with self.assertRaises(IntegrityError), transaction.atomic():
            AppliedMutation.objects.create(mutation_id="k", user_id=self.a, model=NOTE, row_id="r", operation="create", status="applied")


def migrate(*args):
    call_command("migrate", "djazzkit", *args, verbosity=0, interactive=False, stdout=io.StringIO())


class PerUserKeyMigrationTests(TransactionTestCase):
    def tearDown(self):
        migrate()

    def test_the_migration_keeps_existing_rows(self):
        migrate("0001")
        with connection.cursor() as cursor:  # raw SQL: the model class is ahead of migration 0001
            for mid, user in (("old:1", "1"), ("old:2", "2")):
                cursor.execute(
                    "INSERT INTO djazzkit_appliedmutation (mutation_id, user_id, model, row_id, operation, rev, status,"
                    " code, message, created_at) VALUES (%s, %s, 'testapp.Note', 'r', 'create', '', 'applied', '', '', %s)",
                    [mid, user, "2026-01-01 00:00:00"],
                )
        migrate()
        self.assertEqual(
            sorted(AppliedMutation.objects.values_list("mutation_id", "user_id")), [("old:1", "1"), ("old:2", "2")]
        )
        AppliedMutation.objects.create(mutation_id="old:1", user_id="2", model=NOTE, row_id="r", operation="create", status="applied")
        self.assertEqual(AppliedMutation.objects.filter(mutation_id="old:1").count(), 2)


class CanonicalUserIdTests(RelayTestCase):
    def setUp(self):
        self.make_users()
        self.row = self.new_id()
        self.apply(self.a, mutation("a:1", self.row, note_data(self.a, title="alice's secret")))

    def test_apply_refuses_other_spellings_and_writes_nothing(self):
        from django.contrib.auth import get_user_model

        ten = get_user_model().objects.create_user("ten", pk=10)  # "1_0" reads as 10
        for spelling in spellings(self.alice.pk) + spellings(ten.pk):
            with self.subTest(spelling=spelling):
                row = self.new_id()
                body = {"user": spelling, "mutations": [mutation("x:" + spelling, row, note_data(self.a))]}
                res = self.call("POST", "apply", body)
                self.assertEqual(res.status_code, 403, res.content)
                self.assertEqual(res.json()["code"], "forbidden")
                self.assertFalse(Note.objects.filter(_djazzkit_id=row).exists())
        self.assertEqual(Note.objects.filter(author=self.alice).count(), 1)

    def test_changes_query_and_rpc_refuse_other_spellings(self):
        from urllib.parse import quote

        for spelling in spellings(self.alice.pk):
            with self.subTest(spelling=spelling):
                res = self.call("GET", "changes?user=%s" % quote(spelling))
                self.assertEqual(res.status_code, 403, res.content)
                res = self.call("POST", "query", {"user": spelling, "query": {"model": NOTE}})
                self.assertEqual(res.status_code, 403, res.content)
                res = self.call("POST", "rpc/echo", {"user": spelling, "args": None})
                self.assertEqual(res.status_code, 403, res.content)
                self.assertNotIn("alice's secret", res.content.decode())

    def test_the_canonical_spelling_works(self):
        res = self.call("POST", "rpc/echo", {"user": self.a, "args": None})
        self.assertEqual(res.json()["result"]["user_id"], self.a)
        res = self.call("GET", "changes?user=%s" % self.a)
        self.assertEqual([r["row_id"] for r in res.json()["rows"]], [self.row])

    def test_auth_refuses_an_authenticator_answer_in_another_spelling(self):
        for spelling in spellings(self.alice.pk):
            with self.subTest(spelling=spelling), override_settings(DJAZZKIT_RELAY_AUTHENTICATORS=[lambda request, s=spelling: s]):
                res = self.call("POST", "auth", {}, headers={"Authorization": "Bearer whatever"})
                self.assertEqual(res.status_code, 401, res.content)
        with override_settings(DJAZZKIT_RELAY_AUTHENTICATORS=[lambda request: self.alice]):
            res = self.call("POST", "auth", {}, headers={"Authorization": "Bearer whatever"})
            self.assertEqual(res.json(), {"user_id": self.a})


class SignedIdentityTests(RelayTestCase):
    def setUp(self):
        self.make_users()
        cache.clear()

    def test_the_user_header_decides_nothing(self):
        # A captured signed anonymous RPC replayed with the header added stays anonymous.
        res = self.call("POST", "rpc/echo", {"user": None, "args": None}, headers={"X-Djazzkit-User": self.a})
        self.assertEqual(res.status_code, 200, res.content)
        self.assertIsNone(res.json()["result"]["user_id"])
        self.apply(self.a, mutation("a:1", self.new_id(), note_data(self.a, title="alice's secret")))
        res = self.call("POST", "query", {"user": None, "query": {"model": NOTE}}, headers={"X-Djazzkit-User": self.a})
        self.assertEqual((res.status_code, res.json()["rows"]), (200, []))
        # With a body user, a header naming someone else changes nothing either.
        res = self.call("POST", "rpc/echo", {"user": self.b, "args": None}, headers={"X-Djazzkit-User": self.a})
        self.assertEqual(res.json()["result"]["user_id"], self.b)

    def test_a_unicode_user_id_round_trips(self):
        from urllib.parse import quote

        for user in ("josé", "用户", "emoji-\U0001F600"):
            with self.subTest(user=user):
                res = self.call("POST", "apply", {"user": user, "mutations": [mutation("u:" + user, self.new_id(), note_data(self.a))]})
                self.assertEqual(res.status_code, 200, res.content)
                self.assertEqual(res.json()["results"][0]["code"], "forbidden")  # an integer owner field
                self.assertEqual(AppliedMutation.objects.get(mutation_id="u:" + user).user_id, user)
                res = self.call("GET", "changes?user=%s" % quote(user))
                self.assertEqual(res.status_code, 200, res.content)
                res = self.call("POST", "rpc/echo", {"user": user, "args": [user]})
                self.assertEqual(res.status_code, 200, res.content)
                self.assertEqual(res.json()["result"]["args"], [user])

    def _signed(self, path, body, **kw):
        text = json.dumps(body)
        extra = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in signed_headers(SECRET, "POST", PREFIX + path, text, **kw).items()}
        return text, extra

    def test_a_nonce_is_accepted_once(self):
        text, extra = self._signed("rpc/echo", {"user": self.a, "args": None})
        first = self.client.generic("POST", PREFIX + "rpc/echo", text.encode(), content_type="application/json", **extra)
        self.assertEqual(first.status_code, 200, first.content)
        replay = self.client.generic("POST", PREFIX + "rpc/echo", text.encode(), content_type="application/json", **extra)
        self.assertEqual(replay.status_code, 401, replay.content)
        self.assertIn("replayed", replay.json()["message"])
        # The same call signed again (a retry) has a new nonce and is accepted.
        text, extra = self._signed("rpc/echo", {"user": self.a, "args": None})
        again = self.client.generic("POST", PREFIX + "rpc/echo", text.encode(), content_type="application/json", **extra)
        self.assertEqual(again.status_code, 200, again.content)

    def test_a_call_without_a_nonce_or_with_a_forged_one_is_refused(self):
        text, extra = self._signed("rpc/echo", {"user": self.a, "args": None})
        header = "HTTP_" + NONCE_HEADER.upper().replace("-", "_")
        missing = dict(extra)
        del missing[header]
        res = self.client.generic("POST", PREFIX + "rpc/echo", text.encode(), content_type="application/json", **missing)
        self.assertEqual(res.status_code, 401)
        forged = dict(extra, **{header: "f" * 32})
        res = self.client.generic("POST", PREFIX + "rpc/echo", text.encode(), content_type="application/json", **forged)
        self.assertEqual(res.status_code, 401)
        self.assertIn("bad_signature", res.json()["message"])

    def test_a_nonce_is_remembered_for_the_whole_signature_window(self):
        from unittest import mock

        now = time.time()
        text, extra = self._signed("rpc/echo", {"user": self.a, "args": None}, now=now + 290)  # a clock ahead
        first = self.client.generic("POST", PREFIX + "rpc/echo", text.encode(), content_type="application/json", **extra)
        self.assertEqual(first.status_code, 200, first.content)
        # 9.5 minutes later the signature is still inside the window (its timestamp is 290 s
        # ahead): the nonce must still be remembered.
        with mock.patch("time.time", return_value=now + 580):
            replay = self.client.generic("POST", PREFIX + "rpc/echo", text.encode(), content_type="application/json", **extra)
        self.assertEqual(replay.status_code, 401, replay.content)
        self.assertIn("replayed", replay.json()["message"])


@override_settings(**RELAY_SETTINGS)
class NonceCacheSettingTests(RelayTestCase):
    def setUp(self):
        self.make_users()

    @override_settings(CACHES={
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "a"},
        "nonces": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "b"},
    }, DJAZZKIT_RELAY_NONCE_CACHE="nonces")
    def test_the_nonce_cache_is_a_setting(self):
        from django.core.cache import caches

        caches["nonces"].clear()
        res = self.call("POST", "rpc/echo", {"user": self.a, "args": None})
        self.assertEqual(res.status_code, 200)
        self.assertEqual(len(caches["nonces"]._cache), 1)
        self.assertEqual(len(caches["default"]._cache), 0)


class NonceCacheCheckTests(RelayTestCase):
    def test_a_missing_or_forgetful_nonce_cache_is_reported(self):
        from djazzkit.checks import check_nonce_cache

        self.assertEqual(check_nonce_cache(), [])
        with override_settings(DJAZZKIT_RELAY_NONCE_CACHE="nope"):
            self.assertEqual([m.id for m in check_nonce_cache()], ["djazzkit.E010"])
        with override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}):
            self.assertEqual([m.id for m in check_nonce_cache()], ["djazzkit.W010"])
