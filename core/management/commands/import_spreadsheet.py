"""Import a spreadsheet through the same pipeline as the web (core.imports.services).

    python manage.py import_spreadsheet settlements FILE.xlsx --user USERNAME [--apply]

Without --apply it previews only. Prints one line, ``new N, changed N, unchanged N,
refused N``, then the refused rows; exits 1 when refused rows (or a refused file) stop
the import, 2 when the job failed.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.imports.base import importers
from core.imports.services import ImportRefused, import_run, summary_of
from core.models import ImportStatus


class Command(BaseCommand):
    help = "Preview (or with --apply, import) a spreadsheet as USERNAME would from the web."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "kind", help="what to import: " + ", ".join(sorted(i.kind for i in importers()))
        )
        parser.add_argument(
            "path", help="an xlsx workbook or a CSV (UTF-8, with or without BOM, or GBK)"
        )
        parser.add_argument(
            "--user", required=True, help="the username the import is done as (scope, history)"
        )
        parser.add_argument(
            "--apply", action="store_true", help="write the rows (all or none) after the preview"
        )
        parser.add_argument(
            "--param",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="an importer's parameter, e.g. rubric=3 for rubric_items",
        )

    def handle(
        self,
        *args: Any,
        kind: str,
        path: str,
        user: str,
        apply: bool,
        param: list[str],
        **options: Any,
    ) -> None:
        by = get_user_model().objects.filter(username=user).first()
        if by is None:
            raise CommandError(f"No user named {user!r}.")
        params = dict(p.split("=", 1) for p in param)
        try:
            job = import_run(kind=kind, path=path, by=by, apply=apply, params=params)
        except ImportRefused as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        except OSError as exc:
            raise CommandError(str(exc)) from exc
        summary = summary_of(job)
        self.stdout.write(summary.line())
        for problem in summary.problems:
            self.stderr.write(str(problem))
        if job.refused_count > len(summary.problems):
            self.stderr.write(
                f"… {job.refused_count - len(summary.problems)} more rows refused (job {job.pk})."
            )
        if job.status == ImportStatus.FAILED:
            self.stderr.write(job.error)
            raise SystemExit(2)
        if job.status == ImportStatus.REFUSED:
            raise SystemExit(1)
