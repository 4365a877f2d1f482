"""Test helpers for projects that use djazzkit: signed calls to the origin contract as the relay
makes them, and builders of ``POST apply`` mutations.

    from djazzkit.testing import RelayTestCase, mutation, rev

    class MyTests(RelayTestCase):
        def test_apply(self):
            self.make_users()
            [result] = self.apply(self.a, mutation("c1:1", self.new_id(), {...}, model="app.Note"))
"""
import hashlib
import json
import uuid

from django.contrib.auth import get_user_model
from django.test import TestCase, TransactionTestCase, override_settings

from .signing import signed_headers

SECRET = "test-secret-0123456789"
PREFIX = "/djazzkit/relay/"
RELAY_SETTINGS = {"DJAZZKIT_RELAY_SECRET": SECRET, "DJAZZKIT_RELAY_URL": "", "DJAZZKIT_RELAY_SCHEMA_SALT": ""}


def rev(gen, seed):
    """A well-formed relay revision id of generation ``gen``, derived from ``seed``."""
    return "%d-%s" % (gen, hashlib.sha256(str(seed).encode()).hexdigest()[:32])


def mutation(mid, row_id, data, r=None, op="create", parent=None, deleted=False, winner=None, conflicts=None, *, model):
    """One ``POST apply`` mutation; by default its own revision is the winner, without conflicts."""
    r = r or rev(1, mid)
    return {
        "mutation_id": mid,
        "model": model,
        "row_id": str(row_id),
        "operation": op,
        "rev": r,
        "parent_rev": parent,
        "data": data,
        "deleted": deleted,
        "winner": winner or {"rev": r, "data": data, "deleted": deleted},
        "conflicts": conflicts or [],
    }


class SignedClientMixin:
    """Methods for signed calls from a TestCase's ``self.client``."""

    def make_users(self):
        User = get_user_model()
        self.alice = User.objects.create_user("alice", password="pw-alice")
        self.bob = User.objects.create_user("bob", password="pw-bob")
        self.a = str(self.alice.pk)
        self.b = str(self.bob.pk)

    def call(self, method, path, body=None, now=None, secret=SECRET, headers=None, raw_body=None):
        """A call signed as the relay signs it; the user travels in ``body`` or the query string."""
        full = path if path.startswith("/") else PREFIX + path
        text = "" if method == "GET" else (raw_body if raw_body is not None else json.dumps(body if body is not None else {}))
        extra = {}
        for name, value in signed_headers(secret, method, full, text, now=now).items():
            extra["HTTP_" + name.upper().replace("-", "_")] = value
        for name, value in (headers or {}).items():
            extra["HTTP_" + name.upper().replace("-", "_")] = value
        if method == "GET":
            return self.client.get(full, **extra)
        return self.client.generic(method, full, text.encode("utf-8"), content_type="application/json", **extra)

    def apply(self, user, *mutations):
        res = self.call("POST", "apply", {"user": str(user), "mutations": list(mutations)})
        self.assertEqual(res.status_code, 200, res.content)
        return res.json()["results"]

    def new_id(self):
        return str(uuid.uuid4())


@override_settings(**RELAY_SETTINGS)
class RelayTestCase(SignedClientMixin, TestCase):
    pass


@override_settings(**RELAY_SETTINGS)
class RelayTransactionTestCase(SignedClientMixin, TransactionTestCase):
    pass
