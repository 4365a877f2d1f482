"""The RPC registry: ``@djazzkit.rpc("name")`` exposes ``fn(user, args) -> JSON``.

``user`` is the Django user the relay names in the signed body, or None for anonymous callers and ids that match
no user; ``args`` is the JSON the client sent.

Errors: raise ``djazzkit.RpcError(message, status=400)`` for a failure the client should see:
it answers ``status`` with code ``rpc_failed`` and exactly your message. Nothing else reaches
the client: ``ValueError``, ``KeyError``, ``TypeError`` and ``ValidationError`` answer 400 with a
generic message, and any other exception 500 with a generic message; both are logged (logger
``djazzkit.views``) with the real exception.
"""
import re

NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,99}$")

_registry = {}


class RpcError(Exception):
    """The one exception whose message an RPC's caller sees (``rpc_failed`` with ``status``)."""

    def __init__(self, message, status=400):
        super().__init__(message)
        self.message = str(message)
        self.status = status


def rpc(name=None):
    """Register a function as an RPC; ``@rpc()`` uses the function's name."""

    def decorate(fn):
        rpc_name = name or fn.__name__
        if not NAME_RE.match(rpc_name):
            raise ValueError("invalid RPC name %r" % rpc_name)
        _registry[rpc_name] = fn
        return fn

    if callable(name):  # bare @rpc
        fn, name = name, None
        return decorate(fn)
    return decorate


def get_rpc(name):
    return _registry.get(name)


def registered():
    return dict(_registry)


def unregister(name):
    _registry.pop(name, None)
