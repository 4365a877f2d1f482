"""Settings of the djazzkit app, all named ``DJAZZKIT_RELAY_*`` and read at call time.

| setting | default | meaning |
|---|---|---|
| ``DJAZZKIT_RELAY_SECRET`` | ``""`` | shared HMAC secret; empty refuses every relay call (fail closed) |
| ``DJAZZKIT_RELAY_PREVIOUS_SECRETS`` | ``[]`` | older secrets still accepted on incoming calls (rotation) |
| ``DJAZZKIT_RELAY_URL`` | ``""`` | the relay's base URL; pokes are sent only when set |
| ``DJAZZKIT_RELAY_SCHEMA_SALT`` | ``""`` | mixed into ``schema_version`` when non-empty; may be a callable |
| ``DJAZZKIT_RELAY_SIGNATURE_WINDOW_S`` | ``300`` | accepted clock skew of signed calls |
| ``DJAZZKIT_RELAY_NONCE_CACHE`` | ``"default"`` | the cache (``CACHES`` alias) remembering signed calls' nonces; share it between all processes |
| ``DJAZZKIT_RELAY_MAX_BODY_BYTES`` | ``4 MiB`` | larger request bodies are refused with 413 |
| ``DJAZZKIT_RELAY_MAX_MUTATIONS`` | ``500`` | mutations per ``apply`` call |
| ``DJAZZKIT_RELAY_CHANGES_DEFAULT_LIMIT`` / ``..._MAX_LIMIT`` | ``500`` / ``1000`` | ``changes`` page size |
| ``DJAZZKIT_RELAY_QUERY_MAX_LIMIT`` / ``..._MAX_OFFSET`` | ``1000`` / ``10000`` | query bounds |
| ``DJAZZKIT_RELAY_POKE_RETRIES`` | ``5`` | retries of a failed poke (after the first attempt) |
| ``DJAZZKIT_RELAY_POKE_BACKOFF_S`` | ``0.25`` | first retry delay; doubles per retry, with jitter |
| ``DJAZZKIT_RELAY_POKE_MAX_BACKOFF_S`` | ``10`` | cap of one retry delay |
| ``DJAZZKIT_RELAY_POKE_TIMEOUT_S`` | ``5`` | timeout of one poke request |
| ``DJAZZKIT_RELAY_POKE_EXIT_WAIT_S`` | ``5`` | how long a exiting process waits for pending pokes |
| ``DJAZZKIT_RELAY_AUTHENTICATORS`` | ``[]`` | dotted paths of ``fn(request) -> user_id or None`` tried by ``auth`` |
"""
from django.conf import settings

DEFAULTS = {
    "SECRET": "",
    "PREVIOUS_SECRETS": (),
    "URL": "",
    "SCHEMA_SALT": "",
    "SIGNATURE_WINDOW_S": 300,
    "NONCE_CACHE": "default",
    "MAX_BODY_BYTES": 4 * 1024 * 1024,
    "MAX_MUTATIONS": 500,
    "CHANGES_DEFAULT_LIMIT": 500,
    "CHANGES_MAX_LIMIT": 1000,
    "QUERY_MAX_LIMIT": 1000,
    "QUERY_MAX_OFFSET": 10000,
    "QUERY_DEFAULT_LIMIT": 100,
    "QUERY_MAX_DEPTH": 8,
    "QUERY_MAX_CONDITIONS": 64,
    "QUERY_MAX_IN_VALUES": 500,
    "POKE_RETRIES": 5,
    "POKE_BACKOFF_S": 0.25,
    "POKE_MAX_BACKOFF_S": 10.0,
    "POKE_TIMEOUT_S": 5.0,
    "POKE_EXIT_WAIT_S": 5.0,
    "POKE_PATH": "/djazzkit/origin/poke",
    "AUTHENTICATORS": (),
}


def get(name):
    """The value of ``DJAZZKIT_RELAY_<name>``, read now (so override_settings works)."""
    return getattr(settings, "DJAZZKIT_RELAY_" + name, DEFAULTS[name])


def schema_salt():
    salt = get("SCHEMA_SALT")
    if callable(salt):
        salt = salt()
    return "" if salt is None else str(salt)
