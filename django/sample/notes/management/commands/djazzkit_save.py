import json
import uuid

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from djazzkit.poke import poker
from djazzkit.serialize import assign, row_data
from djazzkit.sync import ID_FIELD, spec_for_label


class Command(BaseCommand):
    help = (
        "Create, update or delete a synced row through the Django ORM, as application code "
        "would (logged in the change log, poke sent on commit). Prints the row as JSON."
    )

    def add_arguments(self, parser):
        parser.add_argument("model", help='model label, e.g. "notes.Note"')
        parser.add_argument("--row-id", help="the row's _djazzkit_id (new row when absent or unknown)")
        parser.add_argument("--data", default="{}", help="JSON object of manifest fields to set")
        parser.add_argument("--user", help="owner user id for user-scoped models")
        parser.add_argument("--delete", action="store_true")

    def handle(self, *args, **opts):
        spec = spec_for_label(opts["model"])
        if spec is None:
            raise CommandError("unknown synced model %r" % opts["model"])
        try:
            data = json.loads(opts["data"])
        except ValueError as exc:
            raise CommandError("--data is not JSON: %s" % exc)
        if not isinstance(data, dict):
            raise CommandError("--data must be a JSON object")
        row_id = uuid.UUID(opts["row_id"]) if opts["row_id"] else uuid.uuid4()
        with transaction.atomic():
            obj = spec.model._base_manager.filter(**{ID_FIELD: row_id}).first()
            if opts["delete"]:
                if obj is None:
                    raise CommandError("no %s row %s" % (spec.label, row_id))
                obj.delete()
                result = {"model": spec.label, "row_id": str(row_id), "deleted": True}
            else:
                if obj is None:
                    obj = spec.model(**{ID_FIELD: row_id})
                if opts["user"] and spec.owner_field:
                    data = dict(data, **{spec.owner_field: opts["user"]})
                assign(spec, obj, data)
                obj.full_clean()
                obj.save()
                result = {"model": spec.label, "row_id": str(row_id), "deleted": False, "data": row_data(spec, obj)}
        poker.wait_idle(10)
        self.stdout.write(json.dumps(result, ensure_ascii=False))
