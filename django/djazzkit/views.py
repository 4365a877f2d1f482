"""The origin contract (PROTOCOL 6): every call is HMAC-signed by the relay and CSRF-exempt."""
import json
import logging
import re
from functools import wraps

from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt

from . import conf
from .apply import apply_batch, validate_structure
from .auth import authenticate_forwarded
from .changes import changes_page
from .identity import is_canonical_user_id
from .manifest import build_manifest
from .query import QueryError, run_query
from .registry import RpcError, get_rpc
from .serialize import to_json_value
from .signing import claim_nonce, verify
from .sync import spec_for_label

logger = logging.getLogger("djazzkit")

_CURSOR_RE = re.compile(r"^\d{1,19}$")


def json_response(payload, status=200):
    return HttpResponse(
        json.dumps(payload, cls=DjangoJSONEncoder, separators=(",", ":")),
        status=status,
        content_type="application/json",
    )


def error(status, code, message):
    return json_response({"code": code, "message": message}, status=status)


class BadRequest(Exception):
    def __init__(self, message, code="invalid_message", status=400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def _read_body(request):
    limit = int(conf.get("MAX_BODY_BYTES"))
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise BadRequest("bad Content-Length")
    if length > limit:
        raise BadRequest("body larger than %d bytes" % limit, code="message_too_large", status=413)
    # Not request.body: our own bound, not DATA_UPLOAD_MAX_MEMORY_SIZE. If middleware already
    # read request.body, Django serves read() from that copy, so this works either way.
    raw = request.read(limit + 1)
    if len(raw) > limit:
        raise BadRequest("body larger than %d bytes" % limit, code="message_too_large", status=413)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("body is not UTF-8")


def _json_object(text):
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        raise BadRequest("body is not JSON")
    if not isinstance(value, dict):
        raise BadRequest("body must be a JSON object")
    return value


def _user_of(request, body=None, query_user=None):
    """The user the call concerns: the body's ``user`` (POST) or ``?user=`` (GET).

    Only signed content names the user: ``X-Djazzkit-User`` and any other header decide
    nothing. A user id in another spelling of an existing key (``"01"`` for user 1) is refused
    with 403 ``forbidden`` (identity.py).
    """
    user = None
    if body is not None and body.get("user") not in (None, ""):
        if not isinstance(body["user"], (str, int)) or isinstance(body["user"], bool):
            raise BadRequest("user must be a string")
        user = str(body["user"])
    elif query_user:
        user = query_user
    if user is not None and len(user) > 128:
        raise BadRequest("user id longer than 128 characters")
    if user is not None and not is_canonical_user_id(user):
        raise BadRequest("user id %r is not the canonical spelling of a user key" % user[:128], code="forbidden", status=403)
    return user


def relay_call(method):
    """Method check, bounded body, signature check, JSON errors for a contract view."""

    def decorate(fn):
        @csrf_exempt
        @wraps(fn)
        def view(request, *args, **kwargs):
            try:
                if request.method != method:
                    return error(405, "invalid_message", "use %s" % method)
                body = _read_body(request) if method == "POST" else ""
                nonce = request.META.get("HTTP_X_DJAZZKIT_NONCE")
                ok, reason = verify(
                    request.META.get("HTTP_X_DJAZZKIT_TIMESTAMP"),
                    nonce,
                    request.META.get("HTTP_X_DJAZZKIT_SIGNATURE"),
                    request.method,
                    request.get_full_path(),
                    body,
                )
                if ok and not claim_nonce(nonce):
                    ok, reason = False, "replayed"  # a captured call sent again within the window
                if not ok:
                    logger.warning("djazzkit relay call refused: %s (%s)", reason, request.path)
                    return error(401, "auth_required", "signature check failed: %s" % reason)
                return fn(request, body, *args, **kwargs)
            except BadRequest as exc:
                return error(exc.status, exc.code, exc.message)
            except ImproperlyConfigured as exc:
                logger.exception("djazzkit relay misconfigured")
                return error(500, "internal", "origin misconfigured: %s" % exc)
            except DatabaseError:
                logger.exception("djazzkit relay call failed on the database")
                return error(503, "origin_unavailable", "database unavailable, retry")

        return view

    return decorate


@relay_call("GET")
def schema_view(request, body):
    return json_response(build_manifest())


@relay_call("GET")
def changes_view(request, body):
    user = _user_of(request, query_user=request.GET.get("user") or None)
    if not user:
        raise BadRequest("user is required")
    since = request.GET.get("since") or "0"
    if not _CURSOR_RE.match(since):
        raise BadRequest("since must be an origin cursor (a non-negative integer)")
    max_limit = int(conf.get("CHANGES_MAX_LIMIT"))
    raw_limit = request.GET.get("limit")
    if raw_limit in (None, ""):
        limit = min(int(conf.get("CHANGES_DEFAULT_LIMIT")), max_limit)
    else:
        if not raw_limit.isdigit() or not (1 <= int(raw_limit) <= max_limit):
            raise BadRequest("limit must be an integer in 1..%d" % max_limit, code="limit_out_of_range")
        limit = int(raw_limit)
    return json_response(changes_page(user, int(since), limit))


@relay_call("POST")
def apply_view(request, body):
    payload = _json_object(body)
    user = _user_of(request, payload)
    if not user:
        raise BadRequest("user is required")
    mutations = payload.get("mutations")
    if not isinstance(mutations, list):
        raise BadRequest("mutations must be a list")
    if len(mutations) > int(conf.get("MAX_MUTATIONS")):
        raise BadRequest("more than %d mutations" % int(conf.get("MAX_MUTATIONS")), code="too_many_mutations")
    for index, m in enumerate(mutations):
        problem = validate_structure(m)
        if problem:
            raise BadRequest("mutations[%d]: %s" % (index, problem))
    return json_response({"results": apply_batch(user, mutations)})


@relay_call("POST")
def resolve_view(request, body):
    payload = _json_object(body)
    user = _user_of(request, payload)
    spec = spec_for_label(payload.get("model"))
    if spec is None:
        raise BadRequest("unknown model %r" % (str(payload.get("model"))[:200],), code="unknown_model")
    winner = payload.get("winner")
    conflicts = payload.get("conflicts")
    if not isinstance(winner, dict) or not isinstance(conflicts, list) or not isinstance(payload.get("row_id"), str):
        raise BadRequest("resolve needs row_id, winner {rev, data} and conflicts [{rev, data}]")
    resolver = spec.get_resolver()
    if resolver is None:
        return json_response({"data": None})
    ctx = {"user": user, "model": spec.label, "row_id": payload["row_id"], "winner": winner, "conflicts": conflicts}
    try:
        data = resolver(ctx)
    except Exception:
        logger.exception("conflict_resolver of %s failed", spec.label)
        return error(500, "internal", "the conflict resolver of %s failed" % spec.label)
    if data is not None and not isinstance(data, dict):
        return error(500, "internal", "the conflict resolver of %s returned %s, not a dict or None" % (spec.label, type(data).__name__))
    return json_response({"data": to_json_value(data) if data is not None else None})


@relay_call("POST")
def query_view(request, body):
    payload = _json_object(body)
    user = _user_of(request, payload)
    query = payload.get("query")
    if not isinstance(query, dict):
        raise BadRequest("query must be an object", code="invalid_query")
    spec = spec_for_label(query.get("model"))
    if spec is None:
        raise BadRequest("unknown model %r" % (str(query.get("model"))[:200],), code="unknown_model")
    try:
        rows, total = run_query(spec, user, query)
    except QueryError as exc:
        return error(exc.status, exc.code, exc.message)
    return json_response({"rows": rows, "total": total})


def _django_user(user_id):
    if user_id is None:
        return None
    User = get_user_model()
    try:
        return User._default_manager.filter(pk=User._meta.pk.to_python(user_id)).first()
    except (ValidationError, ValueError, TypeError):
        return None


@relay_call("POST")
def rpc_view(request, body, name):
    payload = _json_object(body)
    user = _user_of(request, payload)
    fn = get_rpc(name)
    if fn is None:
        return error(404, "rpc_failed", "unknown RPC %r" % name)
    try:
        result = fn(_django_user(user), payload.get("args"))
        text = json.dumps({"result": result}, cls=DjangoJSONEncoder, separators=(",", ":"))
    except RpcError as exc:
        # The app's own error type, raised on purpose: its message is meant for the client.
        return error(exc.status, "rpc_failed", exc.message)
    except (ValidationError, ValueError, TypeError, KeyError):
        # Most likely bad arguments, but the exception's text is Python's, not the app's: it can
        # name fields, keys or values the client should not see. Logged here, generic there.
        logger.warning("RPC %s refused its call", name, exc_info=True)
        return error(400, "rpc_failed", "RPC %r could not handle these arguments" % name)
    except Exception:
        logger.exception("RPC %s failed", name)
        return error(500, "rpc_failed", "RPC %r failed" % name)
    return HttpResponse(text, content_type="application/json")


@relay_call("POST")
def auth_view(request, body):
    user_id = authenticate_forwarded(request)
    if user_id is None:
        return error(401, "auth_required", "no valid session or credential")
    return json_response({"user_id": user_id})
