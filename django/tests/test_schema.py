import datetime
import decimal
import re
import uuid

from django.db import models
from django.test import override_settings

from djazzkit.manifest import build_manifest, canonical_json, field_spec, json_number, schema_version

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
        note = self.get()["models"]["testapp.Note"]
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
        models["testapp.Note"]["fields"]["priority"]["nullable"] = False
        self.assertNotEqual(schema_version(models), base)

    def test_any_client_write_rule_changes_the_version(self):
        models = build_manifest()["models"]
        base = schema_version(models)
        seen = {base}
        for edit in (
            lambda f: f["body"].update(default="x"),
            lambda f: f["body"].pop("default"),
            lambda f: f["title"].update(max_length=201),
            lambda f: f["title"].update(choices=[["a", "A"]]),
        ):
            changed = build_manifest()["models"]
            edit(changed["testapp.Note"]["fields"])
            version = schema_version(changed)
            self.assertNotIn(version, seen)
            seen.add(version)


class SchemaVersionVectorTests(RelayTestCase):
    """The same vector as test/unit/schema-version.test.ts: Django and the relay hash alike."""

    VECTOR = {"shop.Item": {
        "table": "shop_item", "scope": "user", "owner_field": "owner", "conflict_mode": "lww", "strategy": "sync",
        "has_resolver": False, "fields": {
            "name": {"type": "string", "nullable": False, "max_length": 80, "default": "Ünïcode ☃"},
            "size": {"type": "string", "nullable": True, "choices": [["s", "Small"], ["l", "Large"]]},
            "ratio": {"type": "float", "nullable": False, "default": json_number(2.0)},
            "price": {"type": "decimal", "nullable": False, "default": "9.50"},
            "meta": {"type": "json", "nullable": True, "default": {"b": [1, 0.5], "a": None}},
            "owner": {"type": "integer", "nullable": False},
        }}}

    def test_vector(self):
        self.assertEqual(schema_version(self.VECTOR), "2ed399002cb8c644")
        self.assertEqual(schema_version(self.VECTOR, "v2"), "c291fa23668554c3")


class FieldSpecTests(RelayTestCase):
    """Field entries gain what a client needs to write valid rows (PROTOCOL 8)."""

    def test_sample_fields(self):
        fields = build_manifest()["models"]["testapp.Note"]["fields"]
        self.assertEqual(fields["title"], {"type": "string", "nullable": False, "max_length": 200})
        self.assertEqual(fields["body"], {"type": "string", "nullable": False, "default": ""})
        self.assertEqual(fields["archived"], {"type": "boolean", "nullable": False, "default": False})
        self.assertEqual(fields["priority"], {"type": "integer", "nullable": True})

    def test_constant_defaults_in_json_form_and_computed_ones_left_out(self):
        cases = [
            (models.IntegerField(default=3), 3),
            (models.FloatField(default=2.0), 2),
            (models.FloatField(default=0.25), 0.25),
            (models.DecimalField(max_digits=5, decimal_places=2, default=decimal.Decimal("9.50")), "9.50"),
            (models.DateField(default=datetime.date(2024, 2, 29)), "2024-02-29"),
            (models.DateTimeField(default=datetime.datetime(2024, 1, 2, 3, 4, 5)), "2024-01-02T03:04:05"),
            (models.UUIDField(default=uuid.UUID("3f0b6f0e-9d3c-4b8e-8a57-1d2c3b4a5f60")), "3f0b6f0e-9d3c-4b8e-8a57-1d2c3b4a5f60"),
            (models.CharField(max_length=5, null=True, default=None), None),
        ]
        for field, expected in cases:
            field.set_attributes_from_name("f")
            spec = field_spec(field)
            self.assertIn("default", spec, field)
            self.assertEqual(spec["default"], expected)
            self.assertEqual(type(spec["default"]), type(expected))
        for field in (models.UUIDField(default=uuid.uuid4), models.JSONField(default=dict), models.CharField(max_length=5),
                      models.DateTimeField(auto_now=True)):
            field.set_attributes_from_name("f")
            self.assertNotIn("default", field_spec(field))

    def test_max_length_only_on_string_fields(self):
        for field, expected in ((models.CharField(max_length=12), 12), (models.TextField(), None),
                                (models.UUIDField(), None), (models.SlugField(), 50)):
            field.set_attributes_from_name("f")
            self.assertEqual(field_spec(field).get("max_length"), expected, field)

    def test_choices_are_value_label_pairs_with_groups_flattened(self):
        field = models.CharField(max_length=4, blank=True, default="", choices=[
            ("low", "Low"), ("Hot", (("warm", "Warm"), ("hot", "Very hot")))])
        field.set_attributes_from_name("f")
        self.assertEqual(field_spec(field), {
            "type": "string", "nullable": False, "default": "", "max_length": 4,
            "choices": [["low", "Low"], ["warm", "Warm"], ["hot", "Very hot"]],
        })
        numbers = models.IntegerField(choices=[(1, "one"), (2, "two")], default=1)
        numbers.set_attributes_from_name("n")
        self.assertEqual(field_spec(numbers), {"type": "integer", "nullable": False, "default": 1,
                                               "choices": [[1, "one"], [2, "two"]]})

    def test_text_and_integer_choices_enums_are_plain_json(self):
        class Size(models.TextChoices):
            SMALL = "s", "Small"
            LARGE = "l", "Large"

        class Level(models.IntegerChoices):
            LOW = 1, "Low"
            HIGH = 2, "High"

        size = models.CharField(max_length=1, choices=Size.choices, default=Size.SMALL)
        size.set_attributes_from_name("size")
        level = models.IntegerField(choices=Level.choices, default=Level.HIGH)
        level.set_attributes_from_name("level")
        self.assertEqual(canonical_json(field_spec(size)),
                         '{"choices":[["s","Small"],["l","Large"]],"default":"s","max_length":1,"nullable":false,"type":"string"}')
        self.assertEqual(canonical_json(field_spec(level)),
                         '{"choices":[[1,"Low"],[2,"High"]],"default":2,"nullable":false,"type":"integer"}')
