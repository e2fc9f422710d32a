"""Credential names are unique regardless of case.

Names that already differ only by case keep the oldest as it is; each later
one gets its id appended (`Web` -> `Web-7`), so that the constraint can be
added. A renamed write key's future events carry the new name as their source.
"""

from __future__ import annotations

from django.db import migrations, models
from django.db.models.functions import Lower

NAME_LIMIT = 64  # profiles.credentials.NAME_MAX_LENGTH when this was written


def rename_case_duplicates(apps, schema_editor):
    for model_name in ("WriteKey", "AccessToken"):
        model = apps.get_model("profiles", model_name)
        taken: set[str] = set()
        for credential in model.objects.order_by("pk"):
            folded = credential.name.lower()
            if folded in taken:
                suffix = f"-{credential.pk}"
                credential.name = credential.name[: NAME_LIMIT - len(suffix)] + suffix
                credential.save(update_fields=["name"])
                folded = credential.name.lower()
            taken.add(folded)


class Migration(migrations.Migration):
    dependencies = [
        ("profiles", "0002_default_settings"),
    ]

    operations = [
        migrations.RunPython(rename_case_duplicates, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="accesstoken",
            constraint=models.UniqueConstraint(
                Lower("name"), name="accesstoken_name_ci_unique"
            ),
        ),
        migrations.AddConstraint(
            model_name="writekey",
            constraint=models.UniqueConstraint(
                Lower("name"), name="writekey_name_ci_unique"
            ),
        ),
    ]
