import json

from django.core.management.base import BaseCommand

from notes.dump import dump


class Command(BaseCommand):
    help = (
        "Print JSON of the synced rows (data, relay rev, retained conflicts), the ids "
        "with_conflicts() returns, and every applied/rejected mutation id."
    )

    def add_arguments(self, parser):
        parser.add_argument("--model", action="append", help="only this model label (repeatable)")
        parser.add_argument("--user", help="only rows and mutations of this user id")
        parser.add_argument("--no-mutations", action="store_true", help="leave out applied_mutations")
        parser.add_argument("--indent", type=int, default=None)

    def handle(self, *args, **opts):
        snapshot = dump(models=opts["model"], user=opts["user"], include_mutations=not opts["no_mutations"])
        self.stdout.write(json.dumps(snapshot, indent=opts["indent"], sort_keys=True, ensure_ascii=False))
