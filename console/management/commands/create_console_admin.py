"""Create the first console admin with a generated password, printed once."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Create a superuser 'admin' with a generated password, printed once. "
        "Does nothing when a superuser already exists."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")

    def handle(self, *args, username: str, **options):
        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists():
            self.stdout.write(
                "A console admin already exists; to set a new password run: "
                f".venv/bin/python manage.py changepassword {username}"
            )
            return

        password = secrets.token_urlsafe(12)
        User.objects.create_superuser(username=username, email="", password=password)
        self.stdout.write(
            self.style.SUCCESS(
                f"Console admin created. Log in at http://127.0.0.1:8000/ as "
                f"'{username}' with password: {password}\n"
                "(shown once; change it with manage.py changepassword)"
            )
        )
