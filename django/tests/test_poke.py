import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import override_settings

from djazzkit.poke import poker
from djazzkit.signing import verify

from .helpers import RelayTransactionTestCase, mutation, note_data
from .testapp.models import Announcement, Note


class _Relay:
    """A local HTTP server standing in for the relay's poke endpoint."""

    def __init__(self, statuses=(), delay=0.0):
        self.requests = []
        self.statuses = list(statuses)
        self.delay = delay
        relay = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                if relay.delay:
                    time.sleep(relay.delay)
                relay.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                status = relay.statuses.pop(0) if relay.statuses else 200
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def user_ids(self):
        return [json.loads(r["body"])["user_ids"] for r in self.requests]


class PokeTests(RelayTransactionTestCase):
    def setUp(self):
        self.relay = _Relay()
        self.override = override_settings(DJAZZKIT_RELAY_URL=self.relay.url + "/", DJAZZKIT_RELAY_POKE_BACKOFF_S=0.01)
        self.override.enable()
        self.make_users()
        self.assertTrue(poker.wait_idle(5))
        self.relay.requests.clear()

    def tearDown(self):
        poker.wait_idle(5)
        self.override.disable()
        self.relay.close()

    def test_save_pokes_the_owner_signed(self):
        Note.objects.create(title="x", author=self.alice)
        self.assertTrue(poker.wait_idle(5))
        self.assertEqual(len(self.relay.requests), 1)
        req = self.relay.requests[0]
        self.assertEqual(req["path"], "/djazzkit/origin/poke")
        self.assertEqual(json.loads(req["body"]), {"user_ids": [self.a]})
        ok, reason = verify(req["headers"]["X-Djazzkit-Timestamp"], req["headers"]["X-Djazzkit-Nonce"],
                            req["headers"]["X-Djazzkit-Signature"], "POST", req["path"], req["body"])
        self.assertTrue(ok, reason)

    def test_poke_waits_for_commit_and_coalesces(self):
        with transaction.atomic():
            Note.objects.create(title="1", author=self.alice)
            Note.objects.create(title="2", author=self.alice)
            Note.objects.create(title="3", author=self.bob)
            time.sleep(0.1)
            self.assertEqual(self.relay.requests, [])  # nothing before commit
        self.assertTrue(poker.wait_idle(5))
        ids = [u for batch in self.relay.user_ids() for u in batch]
        self.assertEqual(sorted(set(ids)), sorted([self.a, self.b]))
        self.assertLessEqual(len(self.relay.requests), 2)

    def test_rolled_back_saves_do_not_poke(self):
        try:
            with transaction.atomic():
                Note.objects.create(title="1", author=self.alice)
                raise RuntimeError
        except RuntimeError:
            pass
        self.assertTrue(poker.wait_idle(5))
        self.assertEqual(self.relay.requests, [])

    def test_delete_pokes(self):
        note = Note.objects.create(title="x", author=self.alice)
        poker.wait_idle(5)
        self.relay.requests.clear()
        note.delete()
        self.assertTrue(poker.wait_idle(5))
        self.assertEqual(self.relay.user_ids(), [[self.a]])

    def test_apply_does_not_poke_back(self):
        self.apply(self.a, mutation("c:1", self.new_id(), note_data(self.a)))
        time.sleep(0.1)
        self.assertTrue(poker.wait_idle(5))
        self.assertEqual(self.relay.requests, [])

    def test_shared_models_do_not_poke(self):
        Announcement.objects.create(title="x")
        self.assertTrue(poker.wait_idle(5))
        self.assertEqual(self.relay.requests, [])

    def test_retries_with_backoff(self):
        self.relay.statuses = [500, 503]
        Note.objects.create(title="x", author=self.alice)
        self.assertTrue(poker.wait_idle(5))
        self.assertEqual(len(self.relay.requests), 3)
        self.assertEqual(self.relay.user_ids(), [[self.a]] * 3)

    def test_gives_up_on_client_errors(self):
        self.relay.statuses = [401]
        failed = poker.failed
        Note.objects.create(title="x", author=self.alice)
        self.assertTrue(poker.wait_idle(5))
        self.assertEqual(len(self.relay.requests), 1)
        self.assertEqual(poker.failed, failed + 1)

    def test_slow_relay_never_blocks_the_save(self):
        self.relay.delay = 0.5
        started = time.monotonic()
        Note.objects.create(title="x", author=self.alice)
        self.assertLess(time.monotonic() - started, 0.3)
        self.assertTrue(poker.wait_idle(5))
        self.assertEqual(len(self.relay.requests), 1)

    def test_unreachable_relay_does_not_fail_the_save(self):
        with override_settings(DJAZZKIT_RELAY_URL="http://127.0.0.1:9", DJAZZKIT_RELAY_POKE_RETRIES=1):
            Note.objects.create(title="x", author=self.alice)
            self.assertTrue(poker.wait_idle(5))
        self.assertEqual(Note.objects.count(), 1)

    def test_no_url_no_poke(self):
        with override_settings(DJAZZKIT_RELAY_URL=""):
            Note.objects.create(title="x", author=self.alice)
        self.assertTrue(poker.wait_idle(5))
        self.assertEqual(self.relay.requests, [])

    def test_ownership_change_pokes_both(self):
        note = Note.objects.create(title="x", author=self.alice)
        poker.wait_idle(5)
        self.relay.requests.clear()
        note.author = get_user_model().objects.get(pk=self.bob.pk)
        note.save()
        self.assertTrue(poker.wait_idle(5))
        self.assertEqual(sorted(u for batch in self.relay.user_ids() for u in batch), sorted([self.a, self.b]))
