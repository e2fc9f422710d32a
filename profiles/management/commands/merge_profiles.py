"""`manage.py merge_profiles SURVIVOR OTHER`: a manual merge, audited as "cli".

Both arguments are profile ids (a merged-away id stands for its survivor). On
success the surviving profile is printed as one export line on stdout; a
refusal exits 1 with its reason on stderr and changes nothing.
"""

from __future__ import annotations

import json
from typing import NoReturn

from django.core.management.base import BaseCommand

from profiles.export import export_profile
from profiles.merge import AlreadyMerged, MergeRefused, merge_profiles
from profiles.models import Profile
from profiles.search import get_canonical_profile


class Command(BaseCommand):
    help = "Merge profile OTHER into profile SURVIVOR, within the merge limits."

    def add_arguments(self, parser):
        parser.add_argument("survivor", help="id of the profile that stays")
        parser.add_argument("other", help="id of the profile merged into it")

    def handle(self, *args, **options):
        survivor = self.canonical(options["survivor"])
        other = self.canonical(options["other"])
        if survivor.pk == other.pk:
            self.refuse(f"Already merged into {survivor.uid}.")

        try:
            merge = merge_profiles(survivor=survivor, other=other, actor="cli")
        except AlreadyMerged as error:
            self.refuse(str(error))
        except MergeRefused as error:
            self.refuse(error.message)

        merge.survivor.refresh_from_db()
        self.stdout.write(json.dumps(export_profile(profile=merge.survivor)))

    def canonical(self, uid: str) -> Profile:
        profile = get_canonical_profile(uid=uid)
        if profile is None:
            self.refuse(f"Unknown profile: {uid}.")
        return profile

    def refuse(self, reason: str) -> NoReturn:
        self.stderr.write(reason)
        raise SystemExit(1)
