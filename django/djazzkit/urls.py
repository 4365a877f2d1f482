"""Mount with ``path("djazzkit/relay/", include("djazzkit.urls"))``."""
from django.urls import path, re_path

from . import views

app_name = "djazzkit"

urlpatterns = [
    path("schema", views.schema_view, name="schema"),
    path("changes", views.changes_view, name="changes"),
    path("apply", views.apply_view, name="apply"),
    path("resolve", views.resolve_view, name="resolve"),
    path("query", views.query_view, name="query"),
    re_path(r"^rpc/(?P<name>[A-Za-z_][A-Za-z0-9_.-]{0,99})$", views.rpc_view, name="rpc"),
    path("auth", views.auth_view, name="auth"),
]
