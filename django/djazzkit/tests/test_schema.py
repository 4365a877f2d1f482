import re

from django.test import override_settings

from djazzkit.manifest import build_manifest, canonical_json, schema_version

from .helpers import RelayTestCase


class SchemaTests(RelayTestCase):
    def get(self):
        res = self.call("GET", "schema")
        self.assertEqual(res.status_code, 200)
        return res.json()

    def test_shape(self):
        manifest = self.get()
        self.assertEqual(set(manifest), {"schema_version", "models"})
        self.assertRegex(manifest["schema_version"], r"^[0-9a-f]{16}$")
        for label, spec in manifest["models"].items():
            self.assertRegex(label, r"^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$")
            self.assertEqual(set(spec), {"table", "scope", "owner_field", "conflict_mode", "strategy", "has_resolver", "fields"})
            for name, field in spec["fields"].items():
                self.assertTrue(re.match(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$", name))
                self.assertIn(field["type"], {"string", "integer", "float", "decimal", "boolean", "datetime", "date", "uuid", "json"})
                self.assertIsInstance(field["nullable"], bool)
                self.assertFalse(name.startswith("_djazzkit_"))
            self.assertNotIn("id", spec["fields"])

    def test_foreign_key_reports_target_type_under_its_name(self):
        note = self.get()["models"]["notes.Note"]
        self.assertEqual(note["fields"]["author"], {"type": "integer", "nullable": False})
        self.assertNotIn("author_id", note["fields"])
        self.assertEqual((note["scope"], note["owner_field"], note["conflict_mode"], note["has_resolver"]),
                         ("user", "author", "revision_tree", True))

    def test_version_is_stable_and_canonical(self):
        first = self.get()
        self.assertEqual(first, self.get())
        models = first["models"]
        self.assertEqual(schema_version(models), first["schema_version"])
        # key order does not matter
        reordered = {k: dict(reversed(list(v.items()))) for k, v in reversed(list(models.items()))}
        self.assertEqual(schema_version(reordered), first["schema_version"])
        self.assertNotIn(" ", canonical_json(models))

    def test_salt_changes_the_version(self):
        plain = self.get()["schema_version"]
        with override_settings(DJAZZKIT_RELAY_SCHEMA_SALT="v2"):
            salted = self.get()["schema_version"]
            self.assertEqual(self.get()["schema_version"], salted)
        self.assertNotEqual(plain, salted)
        with override_settings(DJAZZKIT_RELAY_SCHEMA_SALT=lambda: "v2"):
            self.assertEqual(self.get()["schema_version"], salted)
        with override_settings(DJAZZKIT_RELAY_SCHEMA_SALT=""):
            self.assertEqual(self.get()["schema_version"], plain)

    def test_any_field_change_changes_the_version(self):
        models = build_manifest()["models"]
        base = schema_version(models)
        models["notes.Note"]["fields"]["priority"]["nullable"] = False
        self.assertNotEqual(schema_version(models), base)
