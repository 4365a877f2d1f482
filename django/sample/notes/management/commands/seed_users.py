import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create (or reset the password of) test users; prints JSON {username: user_id}."

    def add_arguments(self, parser):
        parser.add_argument("usernames", nargs="*", default=["alice", "bob", "carol"])
        parser.add_argument("--password", default="password")
        parser.add_argument("--superuser", action="store_true", help="make them superusers (admin access)")

    def handle(self, *args, **opts):
        User = get_user_model()
        out = {}
        for username in opts["usernames"]:
            user, _ = User._default_manager.get_or_create(**{User.USERNAME_FIELD: username})
            user.set_password(opts["password"])
            user.is_active = True
            if opts["superuser"]:
                user.is_staff = user.is_superuser = True
            user.save()
            out[username] = str(user.pk)
        self.stdout.write(json.dumps(out))
