from django.core import checks
from django.core.exceptions import ImproperlyConfigured


def check_synced_models(app_configs=None, **kwargs):
    from .manifest import manifest_models
    from .sync import clear_cache

    clear_cache()
    try:
        manifest_models()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="djazzkit.E001")]
    return []
