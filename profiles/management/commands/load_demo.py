"""`manage.py load_demo [--if-empty]`: build the demo data (profiles/demo.py).

Prints one summary line on stdout. With --if-empty it does nothing when any
profile exists, and says so on stderr (`make run` uses it on every start).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from profiles.demo import DEMO_CUSTOMERS, DEMO_SEED, load_demo
from profiles.models import Profile


class Command(BaseCommand):
    help = "Generate the seeded demo events and resolve them through the engine."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing when profiles already exist",
        )
        parser.add_argument("--customers", type=int, default=DEMO_CUSTOMERS)
        parser.add_argument("--seed", type=int, default=DEMO_SEED)

    def handle(self, *args, **options):
        if options["customers"] < 1:
            raise CommandError("--customers must be at least 1.")
        if options["if_empty"] and Profile.objects.exists():
            self.stderr.write("profiles already exist: demo data not loaded")
            return

        summary = load_demo(
            customers=options["customers"], seed=options["seed"], actor="cli"
        )
        self.stdout.write(str(summary))
