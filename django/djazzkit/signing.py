"""Request signing of the origin contract (PROTOCOL 6), both directions.

``X-Djazzkit-Signature: v2=<hex>`` is HMAC-SHA256 with ``DJAZZKIT_RELAY_SECRET`` over
``<timestamp>.<nonce>.<METHOD>.<path and query>.<body>``; ``X-Djazzkit-Timestamp`` is Unix
seconds and ``X-Djazzkit-Nonce`` a fresh random string (16 to 64 of ``[A-Za-z0-9_-]``) per call.

Everything a call acts on is inside the signed string: the user travels in the body or the
signed query string, never in a header of its own. Django accepts each nonce once within the
signature window (``claim_nonce``, through Django's cache framework), so a captured call cannot
be replayed. The relay checks the nonce's signature on pokes but does not remember them: a
replayed poke only makes an object pull once more.
"""
import hashlib
import hmac
import re
import secrets
import time

from . import conf

SIGNATURE_HEADER = "X-Djazzkit-Signature"
TIMESTAMP_HEADER = "X-Djazzkit-Timestamp"
NONCE_HEADER = "X-Djazzkit-Nonce"

_TS_RE = re.compile(r"^\d{1,12}$")
_NONCE_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_SIG_RE = re.compile(r"^v2=([0-9a-fA-F]{64})$")
_NONCE_KEY = "djazzkit:nonce:"


def signing_string(timestamp, nonce, method, path_and_query, body):
    return "%s.%s.%s.%s.%s" % (timestamp, nonce, method.upper(), path_and_query, body)


def _as_text(body):
    if isinstance(body, bytes):
        return body.decode("utf-8")
    return body or ""


def new_nonce():
    """32 hex characters from the OS's random source."""
    return secrets.token_hex(16)


def sign(secret, timestamp, nonce, method, path_and_query, body=""):
    mac = hmac.new(
        secret.encode("utf-8"),
        signing_string(timestamp, nonce, method, path_and_query, _as_text(body)).encode("utf-8"),
        hashlib.sha256,
    )
    return "v2=" + mac.hexdigest()


def signed_headers(secret, method, path_and_query, body="", now=None, nonce=None):
    """Headers for a signed call made now, with a fresh nonce (pokes, tests)."""
    timestamp = str(int(time.time() if now is None else now))
    nonce = nonce or new_nonce()
    return {
        TIMESTAMP_HEADER: timestamp,
        NONCE_HEADER: nonce,
        SIGNATURE_HEADER: sign(secret, timestamp, nonce, method, path_and_query, body),
    }


def verify(timestamp, nonce, signature, method, path_and_query, body, now=None):
    """(ok, reason): reason is one of missing, not_configured, malformed, stale, bad_signature.

    Checks the signature only; ``claim_nonce`` then makes sure the nonce is used once.
    """
    keys = [conf.get("SECRET")] + list(conf.get("PREVIOUS_SECRETS") or ())
    keys = [s for s in keys if s]
    if not keys:
        return False, "not_configured"
    if not timestamp or not signature or not nonce:
        return False, "missing"
    if not _TS_RE.match(timestamp) or not _NONCE_RE.match(nonce):
        return False, "malformed"
    match = _SIG_RE.match(signature.strip())
    if not match:
        return False, "malformed"
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > int(conf.get("SIGNATURE_WINDOW_S")):
        return False, "stale"
    try:
        text = _as_text(body)
    except UnicodeDecodeError:
        return False, "malformed"
    given = match.group(1).lower()
    ok = False
    for key in keys:
        expected = sign(key, timestamp, nonce, method, path_and_query, text)[3:]
        # compare every candidate so timing does not reveal which secret matched
        ok = hmac.compare_digest(expected, given) or ok
    return (True, None) if ok else (False, "bad_signature")


def claim_nonce(nonce):
    """True the first time a (verified) nonce is seen within the signature window, else False.

    Kept in the cache ``DJAZZKIT_RELAY_NONCE_CACHE`` (default ``"default"``) for twice the
    window: a timestamp is accepted up to the window either side of the clock, so that is as
    long as the same signed call could come back. ``cache.add`` is atomic in every backend
    Django ships (except the dummy cache, which remembers nothing). A deployment with several
    processes or machines needs a cache they share (Redis, Memcached, the database cache):
    with the default per-process ``LocMemCache`` a replay sent to another process is accepted.
    """
    from django.core.cache import caches

    cache = caches[conf.get("NONCE_CACHE")]
    return bool(cache.add(_NONCE_KEY + nonce, 1, timeout=2 * int(conf.get("SIGNATURE_WINDOW_S")) + 1))
