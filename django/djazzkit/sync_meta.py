"""The names a model's ``SyncMeta`` uses, at djazzkit's documented path ``djazzkit.sync_meta``::

    from djazzkit.models import SyncModel
    from djazzkit.sync_meta import SyncScope, ConflictMode

    class Note(SyncModel):
        class SyncMeta:
            scope = SyncScope.USER
            owner_field = "author"
            conflict_mode = ConflictMode.REVISION_TREE
            conflict_resolver = staticmethod(note_conflict_resolver)   # (ctx: dict) -> dict | None

Plain strings (``"user"``, ``"revision_tree"``) and enum members with these values are accepted
too; ``conflict_resolver`` may also be a dotted path.
"""


class SyncScope:
    """Rows of USER models belong to one user (``owner_field``); SHARED rows to everyone."""

    USER = "user"
    SHARED = "shared"


class ConflictMode:
    """LWW: the last write wins. REVISION_TREE: concurrent writes are kept as conflicts."""

    LWW = "lww"
    REVISION_TREE = "revision_tree"


class Strategy:
    """SYNC: rows live in the owner's Durable Object. REMOTE: queries are forwarded to Django."""

    SYNC = "sync"
    REMOTE = "remote"
