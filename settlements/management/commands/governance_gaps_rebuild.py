"""`manage.py governance_gaps_rebuild`: recompute every settlement's stored governance gaps.

Run once after deploying the stored gaps, and after any bulk write that bypassed the
services (the nightly task does the same).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from settlements.governance import services


class Command(BaseCommand):
    help = "重新核查并保存所有聚居点的组织建设差距。"

    def handle(self, *args: Any, **options: Any) -> None:
        written = services.settlement_gaps_rebuild()
        self.stdout.write(f"{written}")
