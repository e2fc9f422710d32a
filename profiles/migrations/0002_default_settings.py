"""Create the defaults of DOMAIN.md section 0 (rules 2, 3 and 5), nothing else."""

from django.db import migrations

# key, limit, window, normaliser, in priority order.
DEFAULT_IDENTIFIERS = [
    ("user_id", 1, "ever", "raw"),
    ("email", 5, "ever", "email"),
    ("phone", 5, "ever", "phone"),
    ("android.id", 5, "ever", "raw"),
    ("android.idfa", 5, "ever", "raw"),
    ("android.push_token", 5, "ever", "raw"),
    ("anonymous_id", 5, "weekly", "raw"),
    ("ga_client_id", 5, "monthly", "raw"),
    ("ios.id", 5, "ever", "raw"),
    ("ios.idfa", 5, "ever", "raw"),
    ("ios.push_token", 5, "ever", "raw"),
]

DEFAULT_ADDRESS_TYPES = [
    ("voice", "Voice"),
    ("sms", "SMS"),
    ("whatsapp", "WhatsApp"),
    ("email", "Email"),
    ("chat", "Chat"),
    ("messenger", "Messenger"),
]

BLOCKED_PATTERNS = [r"^[0-]*$"]
BLOCKED_VALUES = [
    "-1",
    "null",
    "undefined",
    "anonymous",
    "none",
    "None",
    "NaN",
    "nan",
    "true",
    "false",
    "guest",
    "not_authenticated",
    "[object Object]",
]


def create_defaults(apps, schema_editor):
    Identifier = apps.get_model("profiles", "Identifier")
    AddressType = apps.get_model("profiles", "AddressType")
    BlockedValue = apps.get_model("profiles", "BlockedValue")

    for priority, (key, limit, window, normaliser) in enumerate(
        DEFAULT_IDENTIFIERS, start=1
    ):
        Identifier.objects.create(
            key=key,
            display_name=key,
            priority=priority,
            is_default=True,
            limit=limit,
            limit_window=window,
            normaliser=normaliser,
        )
    for position, (key, label) in enumerate(DEFAULT_ADDRESS_TYPES, start=1):
        AddressType.objects.create(key=key, label=label, position=position)
    for pattern in BLOCKED_PATTERNS:
        BlockedValue.objects.create(value=pattern, is_pattern=True)
    for value in BLOCKED_VALUES:
        BlockedValue.objects.create(value=value, is_pattern=False)


def remove_defaults(apps, schema_editor):
    apps.get_model("profiles", "AddressType").objects.all().delete()
    apps.get_model("profiles", "BlockedValue").objects.filter(
        identifier__isnull=True
    ).delete()
    apps.get_model("profiles", "Identifier").objects.filter(is_default=True).delete()


class Migration(migrations.Migration):
    dependencies = [("profiles", "0001_initial")]

    operations = [migrations.RunPython(create_defaults, remove_defaults)]
