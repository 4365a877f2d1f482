import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Create COUNT users named PREFIX-<n> in one transaction, without password hashing "
        "(unusable passwords: the simulation authenticates with JWTs); prints a JSON list of ids."
    )

    def add_arguments(self, parser):
        parser.add_argument("prefix")
        parser.add_argument("count", type=int)

    def handle(self, *args, **opts):
        User = get_user_model()
        field = User.USERNAME_FIELD
        names = ["%s-%d" % (opts["prefix"], i) for i in range(opts["count"])]
        existing = set(User._default_manager.filter(**{field + "__in": names}).values_list(field, flat=True))
        fresh = []
        for name in names:
            if name in existing:
                continue
            user = User(**{field: name})
            user.set_unusable_password()
            user.is_active = True
            fresh.append(user)
        User._default_manager.bulk_create(fresh, batch_size=500)
        by_name = dict(User._default_manager.filter(**{field + "__in": names}).values_list(field, "pk"))
        self.stdout.write(json.dumps([str(by_name[n]) for n in names]))
