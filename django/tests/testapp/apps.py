from django.apps import AppConfig


class TestAppConfig(AppConfig):
    """The models djazzkit's own tests sync (independent of the sample project)."""

    name = "tests.testapp"
    label = "testapp"
    default_auto_field = "django.db.models.BigAutoField"
