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


@csrf_exempt
def orm_write_view(request):
    """``POST /sample/orm-write {model, row_id, user?, data?, create?, delete?}`` (tests only).

    An edit made by Django code through the ORM, as the admin or a job would (the same steps as
    ``manage.py djazzkit_save``, without a process per call): logged, given a Django revision,
    poked on commit. Answers ``{row_id, deleted, rev}`` (404 when the row is missing, unless
    ``create``; 400 when Django's validation refuses the state).
    """
    _require_hooks()
    if request.method != "POST":
        return JsonResponse({"code": "invalid_message", "message": "use POST"}, status=405)
    import uuid

    from django.core.exceptions import ValidationError
    from django.db import transaction

    from djazzkit.models import RowRevision
    from djazzkit.serialize import assign
    from djazzkit.sync import ID_FIELD, spec_for_label

    body = _json_body(request) or {}
    spec = spec_for_label(body.get("model"))
    if spec is None:
        return JsonResponse({"code": "unknown_model", "message": "unknown model"}, status=400)
    row_id = uuid.UUID(str(body.get("row_id") or uuid.uuid4()))
    data = body.get("data") or {}
    try:
        with transaction.atomic():
            obj = spec.model._base_manager.select_for_update().filter(**{ID_FIELD: row_id}).first()
            if body.get("delete"):
                if obj is None:
                    return JsonResponse({"code": "not_found", "message": "no such row"}, status=404)
                obj.delete()
            else:
                if obj is None and not body.get("create"):
                    return JsonResponse({"code": "not_found", "message": "no such row"}, status=404)
                if obj is None:
                    obj = spec.model(**{ID_FIELD: row_id})
                if body.get("user") and spec.owner_field:
                    data = dict(data, **{spec.owner_field: body["user"]})
                assign(spec, obj, data)
                obj.full_clean()
                obj.save()
    except ValidationError as exc:
        return JsonResponse({"code": "invalid_field_value", "message": str(exc)}, status=400)
    held = RowRevision.objects.filter(model=spec.label, row_id=row_id).first()
    return JsonResponse({"row_id": str(row_id), "deleted": bool(body.get("delete")), "rev": held.rev if held else None})


@csrf_exempt
def poke_view(request):
    """``POST /sample/poke {user_ids}`` (tests only): Django pokes the relay now, as its poke
    retries would once the relay is reachable again; answers when the poke was sent."""
    _require_hooks()
    if request.method != "POST":
        return JsonResponse({"code": "invalid_message", "message": "use POST"}, status=405)
    from djazzkit.poke import poke_users, poker

    ids = [str(u) for u in (_json_body(request) or {}).get("user_ids") or []]
    poke_users(set(ids))
    return JsonResponse({"idle": poker.wait_idle(10), "user_ids": ids})
