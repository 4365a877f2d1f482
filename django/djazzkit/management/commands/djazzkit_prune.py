import datetime

from django.core.management.base import BaseCommand
from django.db.models import Max
from django.utils import timezone

from djazzkit.models import AppliedMutation, ChangeLog


class Command(BaseCommand):
    help = (
        "Delete change-log entries superseded by a later entry for the same user and row (never "
        "changes a GET changes answer), and optionally applied-mutation records older than N days "
        "(only safe when the relay can no longer retry them)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--mutations-older-than-days", type=int, default=None)

    def handle(self, *args, **opts):
        # each row's largest id is also its largest seq, the entry GET changes answers: a user's
        # entries take their id while the user's counter is locked (sequence.py)
        latest = ChangeLog.objects.values("user_id", "model", "row_id").annotate(last=Max("id")).values("last")
        deleted, _ = ChangeLog.objects.exclude(id__in=latest).delete()
        self.stdout.write("change log: %d superseded entries deleted" % deleted)
        days = opts["mutations_older_than_days"]
        if days is not None:
            cutoff = timezone.now() - datetime.timedelta(days=days)
            gone, _ = AppliedMutation.objects.filter(created_at__lt=cutoff).delete()
            self.stdout.write("applied mutations: %d older than %d days deleted" % (gone, days))
