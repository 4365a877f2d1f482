from django.apps import AppConfig
from django.core import checks


class DjazzkitConfig(AppConfig):
    name = "djazzkit"
    verbose_name = "djazzkit"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import signals  # noqa: F401  (connects post_save / post_delete)
        from .checks import check_nonce_cache, check_relay_settings, check_synced_models

        checks.register(check_synced_models, "djazzkit")
        checks.register(check_nonce_cache, "djazzkit")
        checks.register(check_relay_settings, "djazzkit")
        # RPC modules: every installed app's ``djazzkit_rpc`` module is imported if present.
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("djazzkit_rpc")
