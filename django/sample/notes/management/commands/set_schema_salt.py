import json

from django.core.management.base import BaseCommand

from djazzkit.manifest import build_manifest
from notes.views import write_salt


class Command(BaseCommand):
    help = (
        "Change the origin's schema_version at runtime (simulates a schema change): writes the "
        "salt file the running server re-reads on every request. Empty salt restores the original."
    )

    def add_arguments(self, parser):
        parser.add_argument("salt", nargs="?", default="")

    def handle(self, *args, **opts):
        write_salt(opts["salt"])
        self.stdout.write(json.dumps({"schema_version": build_manifest()["schema_version"]}))
