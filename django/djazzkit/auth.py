"""``POST auth``: who is the client whose ``Cookie`` / ``Authorization`` the relay forwarded?

Tried in order: the callables named in ``DJAZZKIT_RELAY_AUTHENTICATORS`` (``fn(request) ->
user id or None``, e.g. for your API tokens), the Django session cookie
(``SESSION_COOKIE_NAME``, validated like ``AuthenticationMiddleware`` does, including the
session hash), then ``Authorization: Basic`` through ``django.contrib.auth.authenticate``.
Inactive users are refused.
"""
import base64
import binascii
import logging
from importlib import import_module

from django.conf import settings
from django.contrib import auth as django_auth
from django.http import HttpRequest
from django.utils.module_loading import import_string

from . import conf
from .identity import is_canonical_user_id

logger = logging.getLogger("djazzkit")


def _session_user(request):
    key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if not key:
        return None
    engine = import_module(settings.SESSION_ENGINE)
    probe = HttpRequest()
    probe.session = engine.SessionStore(key)
    probe.META = {"REMOTE_ADDR": request.META.get("REMOTE_ADDR", "")}
    user = django_auth.get_user(probe)
    return user if user.is_authenticated else None


def _basic_user(request):
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    username, sep, password = decoded.partition(":")
    if not sep:
        return None
    return django_auth.authenticate(request=None, username=username, password=password)


def authenticate_forwarded(request):
    """The user id (string) the forwarded credentials prove, or None.

    Always the canonical spelling (``str(pk)``, identity.py): an authenticator answering
    ``"01"`` for user 1 is refused (logged) rather than creating a second name for user 1.
    """
    for path in conf.get("AUTHENTICATORS") or ():
        fn = path if callable(path) else import_string(path)
        user_id = fn(request)
        if user_id not in (None, ""):
            user_id = str(getattr(user_id, "pk", user_id))
            if not is_canonical_user_id(user_id):
                logger.warning("djazzkit: authenticator %r answered %r, not the canonical spelling of a user key", path, user_id)
                return None
            return user_id
    for method in (_session_user, _basic_user):
        user = method(request)
        if user is not None and getattr(user, "is_active", True):
            return str(user.pk)
    return None
