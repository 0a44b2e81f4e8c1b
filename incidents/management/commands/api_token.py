"""Makes a new API token for a user, replacing theirs, and prints it: the only time it is seen (the database
keeps its digest, config/authentication.py). DRF's own `drf_create_token` stores a token in clear, which
Vigil does not accept: use this one."""

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from config.authentication import api_token_create


class Command(BaseCommand):
    help = "Make a new API token for a user (replacing theirs) and print it once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user named {options['username']!r}.")
        self.stdout.write(api_token_create(user=user))
