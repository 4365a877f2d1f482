"""Idempotency per user (issue 8 item 1): the key of AppliedMutation becomes (user_id,
mutation_id). Existing rows stay as they are: a globally unique id is unique per user too."""
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("djazzkit", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="appliedmutation",
            name="mutation_id",
            field=models.CharField(max_length=255),
        ),
        migrations.AddConstraint(
            model_name="appliedmutation",
            constraint=models.UniqueConstraint(fields=("user_id", "mutation_id"), name="djazzkit_mutation_per_user"),
        ),
    ]
