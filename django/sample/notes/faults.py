"""Fault injection for end-to-end tests of the relay (active only with DJAZZKIT_SAMPLE_TEST_HOOKS=1).

``POST /sample/faults {"mode": ..., "calls": ["apply"], "count": 3, "delay_ms": 2000}``:

- ``error_before``: answer 500 without running the call (nothing is applied);
- ``error_after``: run the call (its transaction commits), then answer 500 instead (the relay
  must retry, and idempotency must keep it exactly once);
- ``delay``: sleep ``delay_ms`` before running the call (relay timeouts);
- ``off``: clear.

``calls`` names origin calls (schema, changes, apply, resolve, query, rpc, auth; default all);
``count`` is how many matching requests are affected (default -1: until cleared).
``GET /sample/faults`` shows the state. State is per process (runserver is one process).
"""
import threading
import time

from django.conf import settings
from django.http import JsonResponse

_lock = threading.Lock()
_state = {"mode": "off", "calls": None, "count": -1, "delay_ms": 0, "hits": 0}
MODES = ("off", "error_before", "error_after", "delay")
PREFIX = "/djazzkit/relay/"


def configure(mode="off", calls=None, count=-1, delay_ms=0):
    if mode not in MODES:
        raise ValueError("mode must be one of %s" % ", ".join(MODES))
    with _lock:
        _state.update(mode=mode, calls=list(calls) if calls else None, count=int(count), delay_ms=int(delay_ms), hits=0)
        return dict(_state)


def state():
    with _lock:
        return dict(_state)


def _take(call):
    """The fault to apply to this call now, or None (consumes one of ``count``)."""
    with _lock:
        if _state["mode"] == "off" or (_state["calls"] and call not in _state["calls"]):
            return None
        if _state["count"] == 0:
            return None
        if _state["count"] > 0:
            _state["count"] -= 1
        _state["hits"] += 1
        return dict(_state)


class FaultMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not getattr(settings, "DJAZZKIT_SAMPLE_TEST_HOOKS", False) or not request.path.startswith(PREFIX):
            return self.get_response(request)
        call = request.path[len(PREFIX):].split("/", 1)[0]
        fault = _take(call)
        if fault is None:
            return self.get_response(request)
        if fault["mode"] == "error_before":
            return JsonResponse({"code": "internal", "message": "injected fault before %s" % call}, status=500)
        if fault["mode"] == "delay":
            time.sleep(fault["delay_ms"] / 1000.0)
            return self.get_response(request)
        self.get_response(request)  # error_after: the work is done and committed
        return JsonResponse({"code": "internal", "message": "injected fault after %s" % call}, status=500)
