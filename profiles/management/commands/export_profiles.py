"""`manage.py export_profiles`: every canonical profile, one JSON object a line.

Each line is `{"id", "created_at", "identifiers", "traits", "events",
"merged_ids"}` as profiles/export.py builds it, ordered by id.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from profiles.export import export_profiles


class Command(BaseCommand):
    help = "Print every canonical profile as one JSON object per line."

    def handle(self, *args, **options):
        for profile in export_profiles():
            self.stdout.write(json.dumps(profile))
