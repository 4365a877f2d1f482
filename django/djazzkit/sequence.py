"""The change feed's cursor: a per-user sequence handed out in commit order.

Why not the change log's auto-increment id: on PostgreSQL two transactions touching one user's
rows can commit out of id order (id 101 visible before id 100). A pull in between would move
the relay's cursor to 101 and never see 100 (issue 14). SQLite serialises writers, so it
cannot show this.

The chosen fix: each change-log entry takes ``seq = next_seq(user)``, an atomic increment of the
user's ``UserSequence`` row (``INSERT .. ON CONFLICT DO UPDATE .. RETURNING``). The increment
holds that row's lock until the transaction commits or rolls back, so a second transaction
writing the same user's rows waits at its own increment until the first has ended: a user's
entries become visible in ``seq`` order, and every entry a pull has not seen yet gets a larger
``seq`` than any it has seen. Holes (a rolled-back transaction's number) are harmless.

Compared with the alternatives the issue lists: a visibility horizon needs the database's
transaction ids (PostgreSQL-only, and still racy across replicas); a bounded lookback re-reads
and dedupes forever and still loses a transaction slower than the window. The price of the lock
is that writes of one user's synced rows are serialised from their first synced save to
commit; different users never wait for each other. Long transactions that save many rows of
one user should stay short, as they should anyway. Works the same on SQLite (where writers are
serialised already) and PostgreSQL.
"""
from django.db import connections

from .models import UserSequence


def next_seq(user_id, using="default"):
    """The user's next change sequence number; locks the user's counter until commit."""
    connection = connections[using]
    table = connection.ops.quote_name(UserSequence._meta.db_table)
    user_col = connection.ops.quote_name(UserSequence._meta.get_field("user_id").column)
    seq_col = connection.ops.quote_name(UserSequence._meta.get_field("seq").column)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO {t} ({u}, {s}) VALUES (%s, 1) "
            "ON CONFLICT ({u}) DO UPDATE SET {s} = {t}.{s} + 1 RETURNING {s}".format(t=table, u=user_col, s=seq_col),
            [str(user_id)],
        )
        return cursor.fetchone()[0]


def current_seq(user_id, using="default"):
    """The user's largest sequence number handed out so far (0 when none)."""
    row = UserSequence.objects.using(using).filter(user_id=str(user_id)).values_list("seq", flat=True).first()
    return row or 0
