import json
from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Create a logged-in Django session for a user; prints JSON {user_id, cookie_name, session_key, cookie}."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, **opts):
        User = get_user_model()
        user = User._default_manager.filter(**{User.USERNAME_FIELD: opts["username"]}).first()
        if user is None:
            raise CommandError("no user %r (run seed_users first)" % opts["username"])
        session = import_module(settings.SESSION_ENGINE).SessionStore()
        session[SESSION_KEY] = user._meta.pk.value_to_string(user)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.save()
        name = settings.SESSION_COOKIE_NAME
        self.stdout.write(json.dumps({
            "user_id": str(user.pk), "cookie_name": name, "session_key": session.session_key,
            "cookie": "%s=%s" % (name, session.session_key),
        }))
