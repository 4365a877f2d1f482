"""Both sides write (issue 14): per-user commit-ordered change sequence, Django-side revisions.

Existing change-log entries keep their place: ``seq`` takes the entry's id and each user's
counter starts at their largest id, so a cursor a relay already holds (an id) stays valid.
"""
from django.db import migrations, models
from django.db.models import Max


def backfill_sequences(apps, schema_editor):
    ChangeLog = apps.get_model("djazzkit", "ChangeLog")
    UserSequence = apps.get_model("djazzkit", "UserSequence")
    db = schema_editor.connection.alias
    ChangeLog.objects.using(db).filter(seq__isnull=True).update(seq=models.F("id"))
    for row in ChangeLog.objects.using(db).values("user_id").annotate(top=Max("id")):
        UserSequence.objects.using(db).update_or_create(user_id=row["user_id"], defaults={"seq": row["top"]})


class Migration(migrations.Migration):

    dependencies = [
        ('djazzkit', '0002_mutation_id_per_user'),
    ]

    operations = [
        migrations.CreateModel(
            name='UserSequence',
            fields=[
                ('user_id', models.CharField(max_length=128, primary_key=True, serialize=False)),
                ('seq', models.BigIntegerField(default=0)),
            ],
        ),
        migrations.AddField(
            model_name='appliedmutation',
            name='concurrent',
            field=models.JSONField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='changelog',
            name='seq',
            field=models.BigIntegerField(null=True),
        ),
        migrations.AddField(
            model_name='rowrevision',
            name='ancestors',
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name='rowrevision',
            name='by_django',
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name='rowconflict',
            name='by_django',
            field=models.BooleanField(default=False),
        ),
        migrations.AddIndex(
            model_name='changelog',
            index=models.Index(fields=['user_id', 'seq'], name='djazzkit_changelog_seq'),
        ),
        migrations.RunPython(backfill_sequences, migrations.RunPython.noop),
    ]
