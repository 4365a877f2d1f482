"""Pokes to the relay: ``POST {DJAZZKIT_RELAY_URL}/djazzkit/origin/poke {"user_ids": [...]}``.

Called from ``transaction.on_commit`` hooks. The request thread only adds user ids to a set;
one background thread per process coalesces them, signs the call like every other call of the
contract and sends it with retries, exponential backoff and jitter. Nothing here blocks or fails
the request that saved. A lost poke only delays a change: the relay also pulls on sync start.
"""
import atexit
import json
import logging
import random
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

from . import conf
from .signing import signed_headers

logger = logging.getLogger("djazzkit.poke")

MAX_USERS_PER_POKE = 1000  # the relay's PokeRequest bound


class Poker:
    def __init__(self):
        self._cond = threading.Condition()
        self._pending = set()
        self._thread = None
        self._busy = False
        self.sent = 0  # successful pokes (tests, diagnostics)
        self.failed = 0  # batches given up after all retries

    def enqueue(self, user_ids):
        user_ids = {str(u) for u in user_ids if u is not None and str(u) != ""}
        if not user_ids or not conf.get("URL"):
            return
        with self._cond:
            self._pending |= user_ids
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="djazzkit-relay-poke", daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def wait_idle(self, timeout=10.0):
        """Block until nothing is pending or in flight (tests, process exit). True when idle."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._pending or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.05))
        return True

    def _run(self):
        while True:
            with self._cond:
                while not self._pending:
                    self._cond.wait()
                # coalesce: whatever arrived until now goes in one poke
                batch = sorted(self._pending)[:MAX_USERS_PER_POKE]
                self._pending.difference_update(batch)
                self._busy = True
            try:
                self._send_with_retries(batch)
            except Exception:  # never let the thread die
                logger.exception("djazzkit relay poke failed unexpectedly")
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _send_with_retries(self, user_ids):
        retries = max(0, int(conf.get("POKE_RETRIES")))
        base = float(conf.get("POKE_BACKOFF_S"))
        cap = float(conf.get("POKE_MAX_BACKOFF_S"))
        for attempt in range(retries + 1):
            outcome = self._send_once(user_ids)
            if outcome == "ok":
                self.sent += 1
                return
            if outcome == "give_up":
                break
            if attempt < retries:
                delay = min(cap, base * (2 ** attempt))
                time.sleep(delay / 2 + random.uniform(0, delay / 2))
        self.failed += 1
        logger.warning("djazzkit relay poke for %d user(s) given up", len(user_ids))

    def _send_once(self, user_ids):
        base_url = conf.get("URL")
        secret = conf.get("SECRET")
        if not base_url or not secret:
            return "give_up"
        path = conf.get("POKE_PATH")
        url = base_url.rstrip("/") + path
        parsed = urllib.parse.urlsplit(url)
        path_and_query = parsed.path + ("?" + parsed.query if parsed.query else "")
        body = json.dumps({"user_ids": list(user_ids)}, separators=(",", ":"))
        headers = {"Content-Type": "application/json"}
        headers.update(signed_headers(secret, "POST", path_and_query, body))
        request = urllib.request.Request(url, data=body.encode("utf-8"), headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=float(conf.get("POKE_TIMEOUT_S"))) as response:
                response.read(65536)
                return "ok"
        except urllib.error.HTTPError as exc:
            logger.warning("djazzkit relay poke answered HTTP %s", exc.code)
            # 4xx other than timeouts/throttling will not get better by retrying
            if 400 <= exc.code < 500 and exc.code not in (408, 425, 429):
                return "give_up"
            return "retry"
        except Exception as exc:  # network errors, timeouts
            logger.warning("djazzkit relay poke failed: %s", exc)
            return "retry"


poker = Poker()


def poke_users(user_ids):
    """Queue a poke for these users (coalesced, sent in the background)."""
    poker.enqueue(user_ids)


@atexit.register
def _flush_at_exit():
    # A management command that saved rows exits right away: give its pokes a moment.
    if poker._pending or poker._busy:
        try:
            poker.wait_idle(float(conf.get("POKE_EXIT_WAIT_S")))
        except Exception:
            pass
