from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from . import conf


def check_synced_models(app_configs=None, **kwargs):
    from .manifest import manifest_models
    from .sync import clear_cache

    clear_cache()
    try:
        manifest_models()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="djazzkit.E001")]
    return []


def check_nonce_cache(app_configs=None, **kwargs):
    """The cache that remembers signed calls' nonces (signing.claim_nonce) must exist and remember."""
    from django.conf import settings

    from . import conf

    alias = conf.get("NONCE_CACHE")
    caches = getattr(settings, "CACHES", None) or {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    if alias not in caches:
        return [checks.Error("DJAZZKIT_RELAY_NONCE_CACHE names the cache %r, which CACHES does not define" % alias, id="djazzkit.E010")]
    if caches[alias].get("BACKEND", "").endswith("DummyCache"):
        return [checks.Warning(
            "DJAZZKIT_RELAY_NONCE_CACHE %r is a DummyCache: nonces are not remembered, so a captured signed call "
            "from the relay could be replayed within the signature window" % alias,
            hint="use a cache shared by every process (Redis, Memcached, DatabaseCache)",
            id="djazzkit.W010",
        )]
    return []


def check_relay_settings(app_configs=None, **kwargs):
    """Warn when djazzkit cannot talk to the relay: saves then never reach clients, silently.

    ``manage.py check``, ``runserver``, ``migrate`` and every management command that runs the
    system checks print these warnings.
    """
    issues = []
    if not conf.get("SECRET"):
        issues.append(checks.Warning(
            "DJAZZKIT_RELAY_SECRET is not set: every call from the relay is refused and no poke is signed, "
            "so nothing syncs.",
            hint="Set DJAZZKIT_RELAY_SECRET to the relay's DJAZZKIT_RELAY_SECRET (wrangler secret put DJAZZKIT_RELAY_SECRET).",
            id="djazzkit.W001",
        ))
    if not conf.get("URL"):
        issues.append(checks.Warning(
            "DJAZZKIT_RELAY_URL is not set: saves of synced models are never poked to the relay, so "
            "connected clients see Django's changes only after their next sync start.",
            hint="Set DJAZZKIT_RELAY_URL to the relay's base URL, e.g. https://relay.example.com.",
            id="djazzkit.W002",
        ))
    return issues
