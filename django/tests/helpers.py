"""Helpers of djazzkit's own tests: ``djazzkit.testing`` bound to the test app's Note.

Run with ``/usr/bin/python3 django/runtests.py`` (own settings and models, see tests/settings.py).
"""
import functools

from djazzkit import testing
from djazzkit.testing import (  # noqa: F401  (re-exported for the test modules)
    PREFIX,
    RELAY_SETTINGS,
    SECRET,
    RelayTestCase,
    RelayTransactionTestCase,
    SignedClientMixin,
    rev,
)

NOTE = "testapp.Note"
mutation = functools.partial(testing.mutation, model=NOTE)


def note_data(author, **fields):
    data = {"title": "t", "body": "", "archived": False, "priority": None, "tags": None, "author": int(author)}
    data.update(fields)
    return data
