"""The Python snippet djazzkit documents (issue 9's seed), pasted into a fresh app of the sample
project, works: ``startapp``, the snippet as models.py (plus the fields a real model has and the
resolver it names), ``makemigrations``, ``migrate``, then the origin contract serves the model,
``POST apply`` keeps a conflict that ``Note.objects.with_conflicts()`` lists, and ``POST resolve``
calls the resolver. Runs ``manage.py`` in a subprocess so the new app is really installed."""
import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from django.test import SimpleTestCase

SAMPLE = Path(__file__).resolve().parents[1]

# Verbatim from the issue, apart from the two field lines a model needs to have an owner.
SNIPPET = '''
from djazzkit.models import SyncModel
from djazzkit.sync_meta import SyncScope, ConflictMode
class Note(SyncModel):
    title = models.CharField(max_length=200, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    class SyncMeta:
        scope = SyncScope.USER
        owner_field = "author"
        conflict_mode = ConflictMode.REVISION_TREE
        conflict_resolver = staticmethod(note_conflict_resolver)   # (ctx: dict) -> dict | None
Note.objects.with_conflicts()
'''

PREAMBLE = '''
from django.conf import settings
from django.db import models


def note_conflict_resolver(ctx):
    titles = [ctx["winner"]["data"]["title"]] + [c["data"]["title"] for c in ctx["conflicts"]]
    return dict(ctx["winner"]["data"], title=" + ".join(titles))
'''

# Run inside the project with the new app installed: the contract, through signed calls.
CHECK = '''
import json, uuid
from django.contrib.auth import get_user_model
from django.test import Client
from djazzkit.signing import signed_headers
from djazzkit.testing import rev
from seedapp.models import Note

def call(path, body):
    text = json.dumps(body)
    headers = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in signed_headers("seed-secret", "POST", path, text).items()}
    return Client().generic("POST", path, text.encode(), content_type="application/json", **headers)

user = get_user_model().objects.create_user("seed-%s" % uuid.uuid4().hex[:8])
uid, row = str(user.pk), str(uuid.uuid4())
win, lose = rev(1, "w"), rev(1, "l")
data = lambda t: {"title": t, "author": user.pk}
m = {"mutation_id": "seed:1", "model": "seedapp.Note", "row_id": row, "operation": "create", "rev": lose, "parent_rev": None,
     "data": data("lose"), "deleted": False, "winner": {"rev": win, "data": data("win"), "deleted": False},
     "conflicts": [{"rev": lose, "data": data("lose")}]}
applied = call("/djazzkit/relay/apply", {"user": uid, "mutations": [m]}).json()
resolved = call("/djazzkit/relay/resolve", {"user": uid, "model": "seedapp.Note", "row_id": row,
                                            "winner": {"rev": win, "data": data("win")}, "conflicts": [{"rev": lose, "data": data("lose")}]}).json()
c = Client()
schema_headers = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in signed_headers("seed-secret", "GET", "/djazzkit/relay/schema", "").items()}
schema = c.get("/djazzkit/relay/schema", **schema_headers).json()["models"]["seedapp.Note"]
print(json.dumps({
    "applied": applied["results"][0]["status"],
    "with_conflicts": [str(n._djazzkit_id) for n in Note.objects.with_conflicts()],
    "row": row,
    "title": Note.objects.get(_djazzkit_id=row).title,
    "resolved": resolved["data"]["title"],
    "schema": [schema["scope"], schema["owner_field"], schema["conflict_mode"], schema["has_resolver"]],
}))
'''


class SeedSnippetTests(SimpleTestCase):
    def manage(self, env, *args, stdin=None):
        done = subprocess.run([sys.executable, str(SAMPLE / "manage.py"), *args], cwd=str(SAMPLE), env=env, input=stdin,
                              capture_output=True, text=True, timeout=300)
        self.assertEqual(done.returncode, 0, "manage.py %s failed:\n%s\n%s" % (" ".join(args), done.stdout, done.stderr))
        return done.stdout

    def test_snippet_in_a_fresh_app(self):
        with tempfile.TemporaryDirectory() as tmp:
            env = dict(os.environ, DJAZZKIT_SAMPLE_DB_ENGINE="sqlite", DJAZZKIT_SAMPLE_DB=os.path.join(tmp, "db.sqlite3"), DJAZZKIT_RELAY_SECRET="seed-secret",
                       DJAZZKIT_RELAY_URL="", PYTHONDONTWRITEBYTECODE="1")
            os.mkdir(os.path.join(tmp, "seedapp"))
            self.manage(env, "startapp", "seedapp", os.path.join(tmp, "seedapp"))
            Path(tmp, "seedapp", "models.py").write_text(PREAMBLE + textwrap.dedent(SNIPPET))
            # now installed: on the path and in INSTALLED_APPS
            env["PYTHONPATH"] = os.pathsep.join(p for p in (tmp, os.environ.get("PYTHONPATH")) if p)
            env["DJAZZKIT_SAMPLE_EXTRA_APPS"] = "seedapp"
            self.manage(env, "makemigrations", "seedapp")
            self.manage(env, "migrate")
            out = json.loads(self.manage(env, "shell", "-c", CHECK).strip().splitlines()[-1])
        self.assertEqual(out["applied"], "applied")
        self.assertEqual(out["with_conflicts"], [out["row"]])
        self.assertEqual(out["title"], "win")
        self.assertEqual(out["resolved"], "win + lose")
        self.assertEqual(out["schema"], ["user", "author", "revision_tree", True])
