"""The import pipeline from the command line: export, preview, apply, exit codes."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from core.models import ImportJob, ImportStatus
from settlements.models import Settlement
from tests import factories as f
from tests.settlement_rows import csv_bytes, row


def run(*args):
    from io import StringIO

    out, err = StringIO(), StringIO()
    code: int | str | None
    try:
        call_command(*args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


def test_export_then_import_unchanged_prints_one_summary_line(secretary, village_a, tmp_path):
    f.settlement(village_a, code="SX1", name="=1+1", households=45, residents=150, party_members=2)
    path = tmp_path / "s.xlsx"

    code, out, _err = run(
        "export_spreadsheet", "settlements", "--output", str(path), "--user", "secretary"
    )
    assert (code, out.strip()) == (0, f"exported 1 rows to {path}")

    code, out, _err = run(
        "import_spreadsheet", "settlements", str(path), "--user", "secretary", "--apply"
    )
    assert (code, out.strip()) == (0, "new 0, changed 0, unchanged 1, refused 0")
    assert Settlement.objects.get().name == "=1+1"


def test_preview_writes_nothing_and_apply_writes(secretary, village_a, tmp_path):
    path = tmp_path / "s.csv"
    path.write_bytes(csv_bytes([row(), row(code="SN2")], encoding="gbk"))

    code, out, _err = run("import_spreadsheet", "settlements", str(path), "--user", "secretary")
    assert (code, out.strip()) == (0, "new 2, changed 0, unchanged 0, refused 0")
    assert not Settlement.objects.exists()
    assert ImportJob.objects.get().status == ImportStatus.PREVIEWED

    code, out, _err = run(
        "import_spreadsheet", "settlements", str(path), "--user", "secretary", "--apply"
    )
    assert (code, out.strip()) == (0, "new 2, changed 0, unchanged 0, refused 0")
    assert sorted(Settlement.objects.values_list("code", flat=True)) == ["SN1", "SN2"]
    assert Settlement.history.filter(history_user=secretary).count() == 2


def test_refused_rows_stop_the_import_and_exit_non_zero(secretary, village_a, tmp_path):
    path = tmp_path / "s.csv"
    path.write_bytes(csv_bytes([row(), row(code="SN2", households="x")]))

    code, out, err = run(
        "import_spreadsheet", "settlements", str(path), "--user", "secretary", "--apply"
    )

    assert code == 1
    assert out.strip() == "new 1, changed 0, unchanged 0, refused 1"
    assert "第 3 行：户数：“x”不是整数。" in err
    assert not Settlement.objects.exists()


def test_the_command_checks_the_users_permission_and_scope(official_a, settlement_b, tmp_path):
    path = tmp_path / "s.csv"
    path.write_bytes(csv_bytes([row(code="SB1", name="抢过来")]))

    code, out, _err = run(
        "import_spreadsheet", "settlements", str(path), "--user", "official_a", "--apply"
    )

    assert (code, out.strip()) == (1, "new 0, changed 0, unchanged 0, refused 1")
    settlement_b.refresh_from_db()
    assert settlement_b.name == "安居园"
    with pytest.raises(CommandError, match="No user"):
        call_command("import_spreadsheet", "settlements", str(path), "--user", "nobody")
