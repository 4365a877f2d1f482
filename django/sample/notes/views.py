"""Helper endpoints of the sample: a JSON login for tests, and test hooks."""
import json
import os

from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from notes.dump import dump
from djazzkit.manifest import build_manifest


def _json_body(request):
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body.decode("utf-8") or "{}")
        except ValueError:
            return None
        return body if isinstance(body, dict) else None
    return request.POST.dict()


@csrf_exempt
def login_view(request):
    """``POST /sample/login {username, password}``: sets the Django session cookie."""
    if request.method != "POST":
        return JsonResponse({"code": "invalid_message", "message": "use POST"}, status=405)
    body = _json_body(request)
    if body is None:
        return JsonResponse({"code": "invalid_message", "message": "body must be a JSON object"}, status=400)
    user = authenticate(request, username=body.get("username"), password=body.get("password"))
    if user is None:
        return JsonResponse({"code": "auth_required", "message": "bad username or password"}, status=401)
    login(request, user)
    request.session.save()
    name = settings.SESSION_COOKIE_NAME
    return JsonResponse(
        {
            "user_id": str(user.pk),
            "username": user.get_username(),
            "cookie_name": name,
            "session_key": request.session.session_key,
            "cookie": "%s=%s" % (name, request.session.session_key),
        }
    )


@csrf_exempt
def logout_view(request):
    if request.method != "POST":
        return JsonResponse({"code": "invalid_message", "message": "use POST"}, status=405)
    logout(request)
    return JsonResponse({"ok": True})


def health_view(request):
    return JsonResponse({"ok": True, "schema_version": build_manifest()["schema_version"]})


def _require_hooks():
    if not getattr(settings, "DJAZZKIT_SAMPLE_TEST_HOOKS", False):
        raise Http404("test hooks are off (DJAZZKIT_SAMPLE_TEST_HOOKS=1)")


def write_salt(salt):
    with open(settings.SALT_FILE, "w", encoding="utf-8") as fh:
        fh.write(salt)
    if not salt:
        try:
            os.remove(settings.SALT_FILE)
        except OSError:
            pass


@csrf_exempt
def schema_salt_view(request):
    """``POST /sample/schema-salt {salt}``: change the origin's schema_version (tests only)."""
    _require_hooks()
    if request.method != "POST":
        return JsonResponse({"code": "invalid_message", "message": "use POST"}, status=405)
    body = _json_body(request) or {}
    write_salt(str(body.get("salt") or ""))
    return JsonResponse({"schema_version": build_manifest()["schema_version"]})


def dump_view(request):
    """``GET /sample/dump?user=&model=``: the djazzkit_dump JSON (tests only)."""
    _require_hooks()
    models = request.GET.getlist("model") or None
    return JsonResponse(dump(models=models, user=request.GET.get("user") or None), json_dumps_params={"sort_keys": True})


@csrf_exempt
def faults_view(request):
    """``POST /sample/faults {mode, calls?, count?, delay_ms?}`` / ``GET``: see notes.faults (tests only)."""
    _require_hooks()
    from . import faults

    if request.method == "GET":
        return JsonResponse(faults.state())
    body = _json_body(request) or {}
    try:
        return JsonResponse(
            faults.configure(body.get("mode", "off"), body.get("calls"), body.get("count", -1), body.get("delay_ms", 0))
        )
    except (ValueError, TypeError) as exc:
        return JsonResponse({"code": "invalid_message", "message": str(exc)}, status=400)
