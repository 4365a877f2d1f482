import base64

from django.contrib.auth import get_user_model
from django.test import override_settings

from djazzkit import rpc
from djazzkit.registry import unregister

from .helpers import RelayTestCase, note_data, rev
from .testapp.models import Note, Task


class ResolveTests(RelayTestCase):
    def setUp(self):
        self.make_users()

    def resolve(self, model, winner, conflicts, user=None):
        body = {"user": user or self.a, "model": model, "row_id": self.new_id(), "winner": winner, "conflicts": conflicts}
        return self.call("POST", "resolve", body)

    def test_note_resolver_merges(self):
        res = self.resolve(
            "testapp.Note",
            {"rev": rev(2, "w"), "data": note_data(self.a, title="w", body="winner", tags=["a"], priority=1)},
            [{"rev": rev(2, "l"), "data": note_data(self.a, title="l", body="loser", tags=["b", "a"], priority=5)}],
        )
        self.assertEqual(res.status_code, 200)
        self.assertEqual(res.json()["data"], note_data(self.a, title="w", body="winner\nloser", tags=["a", "b"], priority=5))

    def test_manual_tag_keeps_the_conflict(self):
        res = self.resolve(
            "testapp.Note",
            {"rev": rev(2, "w"), "data": note_data(self.a, body="w", tags=["manual"])},
            [{"rev": rev(2, "l"), "data": note_data(self.a, body="l")}],
        )
        self.assertEqual(res.json(), {"data": None})

    def test_model_without_resolver(self):
        res = self.resolve("testapp.Task", {"rev": rev(1, "w"), "data": {}}, [])
        self.assertEqual(res.json(), {"data": None})

    def test_unknown_model(self):
        res = self.resolve("testapp.Nope", {"rev": rev(1, "w"), "data": {}}, [])
        self.assertEqual((res.status_code, res.json()["code"]), (400, "unknown_model"))

    def test_resolver_receives_ctx_and_failures_are_500(self):
        from djazzkit.sync import clear_cache

        seen = {}

        def boom(ctx):
            seen.update(ctx)
            raise RuntimeError("nope")

        original = Note.SyncMeta.conflict_resolver
        Note.SyncMeta.conflict_resolver = staticmethod(boom)
        clear_cache()
        try:
            res = self.resolve("testapp.Note", {"rev": rev(1, "w"), "data": note_data(self.a)}, [])
        finally:
            Note.SyncMeta.conflict_resolver = original
            clear_cache()
        self.assertEqual(res.status_code, 500)
        self.assertEqual(set(seen), {"user", "model", "row_id", "winner", "conflicts"})
        self.assertEqual((seen["user"], seen["model"]), (self.a, "testapp.Note"))


@rpc("test_boom")
def _boom(user, args):
    raise RuntimeError("secret detail")


@rpc("test_value_error")
def _value_error(user, args):
    int("internal_column=7")


@rpc("test_key_error")
def _key_error(user, args):
    return {}["internal_column"]


class RpcTests(RelayTestCase):
    def setUp(self):
        self.make_users()

    def test_note_stats(self):
        Note.objects.create(title="a", author=self.alice, archived=True)
        Note.objects.create(title="b", author=self.alice)
        Note.objects.create(title="c", author=self.bob)
        Task.objects.create(title="t", owner=self.alice, done=True)
        res = self.call("POST", "rpc/note_stats", {"user": self.a, "args": {}})
        self.assertEqual(res.status_code, 200)
        self.assertEqual(res.json()["result"], {"user_id": self.a, "notes": 2, "archived": 1, "conflicted": 0,
                                                "tasks": 1, "tasks_done": 1, "announcements": 0})

    def test_anonymous_and_args(self):
        res = self.call("POST", "rpc/echo", {"user": None, "args": {"x": [1, 2]}})
        self.assertEqual(res.json(), {"result": {"user_id": None, "args": {"x": [1, 2]}}})

    def test_unknown_rpc(self):
        res = self.call("POST", "rpc/nope", {"user": self.a, "args": None})
        self.assertEqual((res.status_code, res.json()["code"]), (404, "rpc_failed"))

    def test_rpc_error_message_reaches_the_caller(self):
        res = self.call("POST", "rpc/fail", {"user": self.a, "args": None})
        self.assertEqual((res.status_code, res.json()["code"]), (400, "rpc_failed"))
        self.assertEqual(res.json()["message"], "this RPC always fails")

    def test_unexpected_exception_is_500_without_details(self):
        res = self.call("POST", "rpc/test_boom", {"user": self.a, "args": None})
        self.assertEqual((res.status_code, res.json()["code"]), (500, "rpc_failed"))
        self.assertNotIn("secret detail", res.content.decode())

    def test_python_exception_text_never_reaches_the_caller(self):
        for name in ("test_value_error", "test_key_error"):
            res = self.call("POST", "rpc/" + name, {"user": self.a, "args": None})
            self.assertEqual((res.status_code, res.json()["code"]), (400, "rpc_failed"), name)
            self.assertNotIn("internal_column", res.content.decode(), name)
            self.assertNotIn("Error", res.json()["message"], name)

    def test_invalid_name(self):
        res = self.call("POST", "rpc/..%2F", {"user": self.a})
        self.assertIn(res.status_code, (401, 404))

    def test_registry(self):
        @rpc
        def bare(user, args):
            return 1

        try:
            res = self.call("POST", "rpc/bare", {"args": None})
            self.assertEqual(res.json(), {"result": 1})
        finally:
            unregister("bare")
        with self.assertRaises(ValueError):
            rpc("bad name!")(lambda u, a: None)


def custom_token_auth(request):
    header = request.META.get("HTTP_AUTHORIZATION", "")
    return "42" if header == "Bearer good-token" else None


class AuthTests(RelayTestCase):
    def setUp(self):
        self.make_users()

    def auth(self, **headers):
        return self.call("POST", "auth", {}, headers=headers)

    def test_session_cookie(self):
        self.client.login(username="alice", password="pw-alice")
        cookie = self.client.cookies["sessionid"].value
        self.client.cookies.clear()
        res = self.auth(Cookie="sessionid=%s; other=1" % cookie)
        self.assertEqual(res.status_code, 200)
        self.assertEqual(res.json(), {"user_id": self.a})

    def test_no_or_bad_cookie(self):
        self.assertEqual(self.auth().status_code, 401)
        self.assertEqual(self.auth(Cookie="sessionid=bogus").status_code, 401)
        self.assertEqual(self.auth().json()["code"], "auth_required")

    def test_inactive_user_and_password_change_invalidate(self):
        self.client.login(username="alice", password="pw-alice")
        cookie = self.client.cookies["sessionid"].value
        self.client.cookies.clear()
        self.alice.set_password("changed")
        self.alice.save()
        self.assertEqual(self.auth(Cookie="sessionid=%s" % cookie).status_code, 401)
        self.client.login(username="bob", password="pw-bob")
        cookie = self.client.cookies["sessionid"].value
        self.client.cookies.clear()
        get_user_model().objects.filter(pk=self.bob.pk).update(is_active=False)
        self.assertEqual(self.auth(Cookie="sessionid=%s" % cookie).status_code, 401)

    def test_basic_authorization(self):
        good = "Basic " + base64.b64encode(b"bob:pw-bob").decode()
        bad = "Basic " + base64.b64encode(b"bob:nope").decode()
        self.assertEqual(self.auth(Authorization=good).json(), {"user_id": self.b})
        self.assertEqual(self.auth(Authorization=bad).status_code, 401)
        self.assertEqual(self.auth(Authorization="Basic !!!").status_code, 401)

    @override_settings(DJAZZKIT_RELAY_AUTHENTICATORS=["tests.test_resolve_rpc_auth.custom_token_auth"])
    def test_custom_authenticator(self):
        self.assertEqual(self.auth(Authorization="Bearer good-token").json(), {"user_id": "42"})
        self.assertEqual(self.auth(Authorization="Bearer bad").status_code, 401)
