from typing import Any

from django.core.management.base import BaseCommand

from postmortems.rollups import rollups_recompute


class Command(BaseCommand):
    help = "Recompute every incident's figures and every metric rollup from the incidents (docs/reports.md)."

    def handle(self, *args: Any, **options: Any) -> None:
        result = rollups_recompute()
        self.stdout.write(f"{result['incidents']} incidents, {result['rollups']} rollup rows")
