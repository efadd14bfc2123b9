"""Export what an importer reads, as USERNAME would see it (the admin's export).

    python manage.py export_spreadsheet settlements --output FILE.xlsx [--user USERNAME]

Without --user the whole county is exported (a superuser's view). Prints one line with
the number of rows written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.imports.base import importer_for, importers


class Command(BaseCommand):
    help = "Export a spreadsheet that the matching import_spreadsheet reads back unchanged."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "kind", help="what to export: " + ", ".join(sorted(i.kind for i in importers()))
        )
        parser.add_argument("--output", required=True, help="the xlsx file to write")
        parser.add_argument("--user", help="export as this user (their scope); default: everything")

    def handle(self, *args: Any, kind: str, output: str, user: str | None, **options: Any) -> None:
        importer = importer_for(kind)
        if importer is None:
            raise CommandError(
                f"Unknown kind {kind!r}; known: {', '.join(sorted(i.kind for i in importers()))}."
            )
        users = get_user_model().objects
        by = (
            users.filter(username=user).first()
            if user
            else users.filter(is_superuser=True).order_by("pk").first()
        )
        if by is None:
            raise CommandError(
                f"No user named {user!r}." if user else "No superuser to export as; pass --user."
            )
        try:
            rows, data = importer(user=by).export()
        except NotImplementedError as exc:
            raise CommandError(f"{kind} has no command-line export; use its page.") from exc
        Path(output).write_bytes(data)
        self.stdout.write(f"exported {rows} rows to {output}")
