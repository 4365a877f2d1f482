"""The change feed never skips a committed change (issue 14, part 2), on PostgreSQL for real.

SQLite serialises writers, so the race only exists on PostgreSQL: there this test runs (the
suite runs on both engines, ``run-tests.sh``); on SQLite it is skipped with that reason.
"""
import threading
from unittest import skipUnless

from django.db import connection, transaction

from djazzkit.models import ChangeLog
from .testapp.models import Note

from .helpers import RelayTransactionTestCase


@skipUnless(connection.vendor == "postgresql", "needs concurrent writers: runs in the PostgreSQL pass of run-tests.sh")
class FeedOrderTests(RelayTransactionTestCase):
    def changes(self, since=None):
        q = "changes?user=%s" % self.a + ("&since=%s" % since if since is not None else "")
        res = self.call("GET", q)
        self.assertEqual(res.status_code, 200, res.content)
        return res.json()

    def test_a_pull_between_two_concurrent_transactions_misses_neither(self):
        self.make_users()
        in_slow, release, errors = threading.Event(), threading.Event(), []

        def writer(title, hold):
            try:
                with transaction.atomic():
                    Note.objects.create(title=title, author_id=self.alice.pk)
                    if hold:
                        in_slow.set()
                        release.wait(20)
            except Exception as exc:  # surfaced by the assertion below
                errors.append(exc)
            finally:
                connection.close()

        # the slow transaction logs its change first (the lower id) and commits last
        slow = threading.Thread(target=writer, args=("slow", True))
        slow.start()
        self.assertTrue(in_slow.wait(20))
        fast = threading.Thread(target=writer, args=("fast", False))
        fast.start()
        fast.join(1.0)  # it would commit now with a global id cursor; here it waits for "slow"

        try:
            first = self.changes()  # the pull in between
        finally:
            release.set()
            slow.join(20)
            fast.join(20)
        self.assertEqual(errors, [])
        second = self.changes(since=first["cursor"])

        got = [r["data"]["title"] for r in first["rows"] + second["rows"]]
        self.assertEqual(sorted(got), ["fast", "slow"])
        ids = dict(ChangeLog.objects.filter(user_id=self.a).values_list("row_id", "id"))
        slow_row = Note.objects.get(title="slow")._djazzkit_id
        fast_row = Note.objects.get(title="fast")._djazzkit_id
        self.assertLess(ids[slow_row], ids[fast_row])
        self.assertEqual(self.changes(since=second["cursor"])["rows"], [])
