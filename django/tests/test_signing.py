import json
import time

from django.test import TestCase, override_settings

from djazzkit.signing import sign, signing_string, verify

from .helpers import SECRET, RelayTestCase


N = "0123456789abcdef0123456789abcdef"  # a nonce


class SigningUnitTests(TestCase):
    def test_signing_string_matches_the_contract(self):
        self.assertEqual(signing_string("1700000000", N, "get", "/p?x=1", ""), "1700000000.%s.GET./p?x=1." % N)

    def test_known_vector(self):
        # same value as schemas/signature.ts sign("k", "1", N, "POST", "/x", "{}") (HMAC-SHA256)
        import hashlib
        import hmac

        expected = "v2=" + hmac.new(b"k", ("1.%s.POST./x.{}" % N).encode(), hashlib.sha256).hexdigest()
        self.assertEqual(sign("k", "1", N, "POST", "/x", "{}"), expected)
        self.assertEqual(expected, "v2=0b281b04e3d0179f9d40a016e6d05ab66f2342015c1001f442fb79aafbc5a814")

    @override_settings(DJAZZKIT_RELAY_SECRET=SECRET)
    def test_verify_outcomes(self):
        now = 1_700_000_000
        good = sign(SECRET, str(now), N, "GET", "/p", "")
        self.assertEqual(verify(str(now), N, good, "GET", "/p", "", now=now), (True, None))
        self.assertEqual(verify(str(now), N, good.upper().replace("V2=", "v2="), "GET", "/p", "", now=now), (True, None))
        self.assertEqual(verify(None, N, good, "GET", "/p", "", now=now)[1], "missing")
        self.assertEqual(verify(str(now), None, good, "GET", "/p", "", now=now)[1], "missing")
        self.assertEqual(verify("abc", N, good, "GET", "/p", "", now=now)[1], "malformed")
        self.assertEqual(verify(str(now), "short", good, "GET", "/p", "", now=now)[1], "malformed")
        self.assertEqual(verify(str(now), N, "v1=" + good[3:], "GET", "/p", "", now=now)[1], "malformed")
        self.assertEqual(verify(str(now), N, good, "GET", "/p", "", now=now + 301)[1], "stale")
        self.assertEqual(verify(str(now), N, good, "GET", "/p", "", now=now - 301)[1], "stale")
        self.assertTrue(verify(str(now), N, good, "GET", "/p", "", now=now + 300)[0])
        self.assertEqual(verify(str(now), N, good, "POST", "/p", "", now=now)[1], "bad_signature")
        self.assertEqual(verify(str(now), N, good, "GET", "/p?x=1", "", now=now)[1], "bad_signature")
        self.assertEqual(verify(str(now), N[::-1], good, "GET", "/p", "", now=now)[1], "bad_signature")

    @override_settings(DJAZZKIT_RELAY_SECRET="")
    def test_no_secret_refuses_everything(self):
        now = int(time.time())
        self.assertEqual(verify(str(now), N, sign("", str(now), N, "GET", "/p", ""), "GET", "/p", "", now=now)[1], "not_configured")

    @override_settings(DJAZZKIT_RELAY_SECRET="new", DJAZZKIT_RELAY_PREVIOUS_SECRETS=["old"])
    def test_rotation_accepts_previous_secret(self):
        now = int(time.time())
        self.assertTrue(verify(str(now), N, sign("old", str(now), N, "GET", "/p", ""), "GET", "/p", "", now=now)[0])
        self.assertFalse(verify(str(now), N, sign("other", str(now), N, "GET", "/p", ""), "GET", "/p", "", now=now)[0])


class SignedViewTests(RelayTestCase):
    def setUp(self):
        self.make_users()

    def test_good_signature(self):
        self.assertEqual(self.call("GET", "schema").status_code, 200)

    def test_bad_signature(self):
        res = self.call("GET", "schema", secret="wrong")
        self.assertEqual(res.status_code, 401)
        self.assertEqual(res.json()["code"], "auth_required")
        self.assertIn("bad_signature", res.json()["message"])

    def test_stale_signature(self):
        res = self.call("GET", "schema", now=time.time() - 301)
        self.assertEqual(res.status_code, 401)
        self.assertIn("stale", res.json()["message"])
        self.assertEqual(self.call("GET", "schema", now=time.time() + 400).status_code, 401)

    def test_missing_headers(self):
        res = self.client.get("/djazzkit/relay/schema")
        self.assertEqual(res.status_code, 401)
        self.assertEqual(res["Content-Type"], "application/json")

    def test_query_string_is_signed(self):
        # sign for one user, send another: the path and query are part of the signature
        from djazzkit.signing import signed_headers

        h = signed_headers(SECRET, "GET", "/djazzkit/relay/changes?user=%s" % self.a)
        res = self.client.get(
            "/djazzkit/relay/changes?user=%s" % self.b,
            HTTP_X_DJAZZKIT_TIMESTAMP=h["X-Djazzkit-Timestamp"],
            HTTP_X_DJAZZKIT_SIGNATURE=h["X-Djazzkit-Signature"],
        )
        self.assertEqual(res.status_code, 401)

    def test_body_is_signed(self):
        from djazzkit.signing import signed_headers

        signed_body = json.dumps({"user": self.a, "mutations": []})
        h = signed_headers(SECRET, "POST", "/djazzkit/relay/apply", signed_body)
        res = self.client.post(
            "/djazzkit/relay/apply",
            json.dumps({"user": self.b, "mutations": []}),
            content_type="application/json",
            HTTP_X_DJAZZKIT_TIMESTAMP=h["X-Djazzkit-Timestamp"],
            HTTP_X_DJAZZKIT_SIGNATURE=h["X-Djazzkit-Signature"],
        )
        self.assertEqual(res.status_code, 401)

    def test_every_endpoint_requires_a_signature(self):
        for method, path in [("GET", "schema"), ("GET", "changes?user=1"), ("POST", "apply"), ("POST", "resolve"),
                             ("POST", "query"), ("POST", "rpc/echo"), ("POST", "auth")]:
            url = "/djazzkit/relay/" + path
            res = self.client.get(url) if method == "GET" else self.client.post(url, "{}", content_type="application/json")
            self.assertEqual(res.status_code, 401, path)

    def test_csrf_exempt_with_enforcing_client(self):
        from django.test import Client

        self.client = Client(enforce_csrf_checks=True)
        res = self.call("POST", "apply", {"user": self.a, "mutations": []})
        self.assertEqual(res.status_code, 200)

    @override_settings(DJAZZKIT_RELAY_SECRET="")
    def test_unconfigured_secret_refuses(self):
        res = self.call("GET", "schema", secret="")
        self.assertEqual(res.status_code, 401)
        self.assertIn("not_configured", res.json()["message"])

    def test_wrong_method(self):
        self.assertEqual(self.call("POST", "schema", {}).status_code, 405)
        self.assertEqual(self.call("GET", "apply").status_code, 405)

    @override_settings(DJAZZKIT_RELAY_MAX_BODY_BYTES=100)
    def test_body_size_is_bounded(self):
        res = self.call("POST", "apply", {"user": self.a, "mutations": [], "pad": "x" * 200})
        self.assertEqual(res.status_code, 413)
        self.assertEqual(res.json()["code"], "message_too_large")

    def test_body_already_read_by_middleware(self):
        # Only public request APIs: the view still sees the whole signed body.
        with self.modify_settings(MIDDLEWARE={"prepend": "tests.test_signing.BodyReadingMiddleware"}):
            res = self.call("POST", "apply", {"user": self.a, "mutations": []})
        self.assertEqual((res.status_code, res.json()), (200, {"results": []}))
        self.assertTrue(BodyReadingMiddleware.seen)

    def test_a_user_header_decides_nothing(self):
        # The user travels in the signed body only (test_identity.py has the replay case).
        res = self.call("POST", "apply", {"user": self.a, "mutations": []}, headers={"X-Djazzkit-User": self.b})
        self.assertEqual((res.status_code, res.json()), (200, {"results": []}))


class BodyReadingMiddleware:
    """Reads ``request.body`` before the view, as some middleware does."""

    seen = False

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        BodyReadingMiddleware.seen = bool(request.body)
        return self.get_response(request)
