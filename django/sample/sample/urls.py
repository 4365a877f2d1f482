from django.contrib import admin
from django.urls import include, path

from notes import views as notes_views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("djazzkit/relay/", include("djazzkit.urls")),
    path("sample/login", notes_views.login_view, name="sample-login"),
    path("sample/logout", notes_views.logout_view, name="sample-logout"),
    path("sample/health", notes_views.health_view, name="sample-health"),
    path("sample/schema-salt", notes_views.schema_salt_view, name="sample-schema-salt"),
    path("sample/dump", notes_views.dump_view, name="sample-dump"),
    path("sample/faults", notes_views.faults_view, name="sample-faults"),
    path("sample/orm-write", notes_views.orm_write_view, name="sample-orm-write"),
    path("sample/poke", notes_views.poke_view, name="sample-poke"),
]
