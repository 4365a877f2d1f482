"""djazzkit: the Django side of the djazzkit-relay origin contract.

Add ``"djazzkit"`` to INSTALLED_APPS and
``path("djazzkit/relay/", include("djazzkit.urls"))`` to the URLconf; give synced models
``djazzkit.models.SyncModel`` as base and a ``SyncMeta``.
"""
from .registry import RpcError, rpc
from .sync_meta import ConflictMode, Strategy, SyncScope

__all__ = ["rpc", "RpcError", "SyncScope", "ConflictMode", "Strategy", "Rejected", "record_change", "suppress_pokes"]


def __getattr__(name):  # lazy: these import models, which need the app registry
    if name == "Rejected":
        from .apply import Rejected

        return Rejected
    if name == "record_change":
        from .signals import record_change

        return record_change
    if name == "suppress_pokes":
        from .context import suppress_pokes

        return suppress_pokes
    raise AttributeError(name)
