"""Request signing of the origin contract (PROTOCOL 6), both directions.

``X-Djazzkit-Signature: v1=<hex>`` is HMAC-SHA256 with ``DJAZZKIT_RELAY_SECRET`` over
``<timestamp>.<METHOD>.<path and query>.<body>``; ``X-Djazzkit-Timestamp`` is Unix seconds.
"""
import hashlib
import hmac
import re
import time

from . import conf

SIGNATURE_HEADER = "X-Djazzkit-Signature"
TIMESTAMP_HEADER = "X-Djazzkit-Timestamp"
USER_HEADER = "X-Djazzkit-User"

_TS_RE = re.compile(r"^\d{1,12}$")
_SIG_RE = re.compile(r"^v1=([0-9a-fA-F]{64})$")


def signing_string(timestamp, method, path_and_query, body):
    return "%s.%s.%s.%s" % (timestamp, method.upper(), path_and_query, body)


def _as_text(body):
    if isinstance(body, bytes):
        return body.decode("utf-8")
    return body or ""


def sign(secret, timestamp, method, path_and_query, body=""):
    mac = hmac.new(
        secret.encode("utf-8"),
        signing_string(timestamp, method, path_and_query, _as_text(body)).encode("utf-8"),
        hashlib.sha256,
    )
    return "v1=" + mac.hexdigest()


def signed_headers(secret, method, path_and_query, body="", now=None):
    """Headers for a signed call made now (used for pokes and by tests)."""
    timestamp = str(int(time.time() if now is None else now))
    return {
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(secret, timestamp, method, path_and_query, body),
    }


def verify(timestamp, signature, method, path_and_query, body, now=None):
    """(ok, reason): reason is one of missing, not_configured, malformed, stale, bad_signature."""
    secrets = [conf.get("SECRET")] + list(conf.get("PREVIOUS_SECRETS") or ())
    secrets = [s for s in secrets if s]
    if not secrets:
        return False, "not_configured"
    if not timestamp or not signature:
        return False, "missing"
    if not _TS_RE.match(timestamp):
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
    for secret in secrets:
        expected = sign(secret, timestamp, method, path_and_query, text)[3:]
        # compare every candidate so timing does not reveal which secret matched
        ok = hmac.compare_digest(expected, given) or ok
    return (True, None) if ok else (False, "bad_signature")
