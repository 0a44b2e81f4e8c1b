"""Loads the risks app's demo data (risks/demo.py) after `seed_demo`; idempotent."""

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from risks.demo import demo_risks


class Command(BaseCommand):
    help = "Load the risks demo data (idempotent; after seed_demo)."

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            added = demo_risks()
        self.stdout.write(f"risks demo: {added} rows added")
