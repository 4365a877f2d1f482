"""System checks for the relay settings (issue 8 item 8): a missing secret or relay URL used to
mean saves that were never poked and calls that were all refused, with no warning anywhere."""
from io import StringIO

from django.core.management import call_command
from django.test import SimpleTestCase, override_settings

from djazzkit.checks import check_relay_settings


class RelaySettingsCheckTests(SimpleTestCase):
    @override_settings(DJAZZKIT_RELAY_SECRET="s3cret", DJAZZKIT_RELAY_URL="https://relay.example.com")
    def test_configured_is_silent(self):
        self.assertEqual(check_relay_settings(), [])

    @override_settings(DJAZZKIT_RELAY_SECRET="", DJAZZKIT_RELAY_URL="https://relay.example.com")
    def test_missing_secret_warns(self):
        self.assertEqual([w.id for w in check_relay_settings()], ["djazzkit.W001"])

    @override_settings(DJAZZKIT_RELAY_SECRET="s3cret", DJAZZKIT_RELAY_URL="")
    def test_missing_url_warns(self):
        issues = check_relay_settings()
        self.assertEqual([w.id for w in issues], ["djazzkit.W002"])
        self.assertIn("never poked", issues[0].msg)

    @override_settings(DJAZZKIT_RELAY_SECRET="", DJAZZKIT_RELAY_URL="")
    def test_management_commands_say_so(self):
        for command, options in (("check", {}), ("djazzkit_schema", {"skip_checks": False})):
            out, err = StringIO(), StringIO()
            call_command(command, stdout=out, stderr=err, **options)
            said = out.getvalue() + err.getvalue()
            self.assertIn("djazzkit.W001", said, command)
            self.assertIn("djazzkit.W002", said, command)
