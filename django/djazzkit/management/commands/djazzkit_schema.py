import json

from django.core.management.base import BaseCommand

from djazzkit.manifest import build_manifest


class Command(BaseCommand):
    help = "Print the schema manifest (the GET schema answer), e.g. to refresh djazzkit.schema.json."

    def add_arguments(self, parser):
        parser.add_argument("--indent", type=int, default=2)

    def handle(self, *args, **opts):
        self.stdout.write(json.dumps(build_manifest(), indent=opts["indent"], ensure_ascii=False))
