from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from config.encryption import field_keys_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt every secret stored in the database with the first key of VIGIL_FIELD_KEYS, so that the "
        "other keys can be dropped (docs/deployment.md)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", type=int, default=500, help="Rows re-encrypted per transaction.")

    def handle(self, *args: Any, **options: Any) -> None:
        for name, count in field_keys_rotate(batch=options["batch"]).items():
            self.stdout.write(f"{name}: {count} re-encrypted")
