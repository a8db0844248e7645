"""The reporting stage runs without torch and Ray: a laptop opens reports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.reports.results_factory import demo_rows, write_results

REPO = Path(__file__).resolve().parents[2]


def test_write_report_imports_neither_torch_nor_ray(tmp_path: Path) -> None:
    a = write_results(tmp_path / "a", demo_rows("a"))
    b = write_results(tmp_path / "b", demo_rows("b", 0.05))
    code = (
        "import sys, reports\n"
        f"reports.write_report([{str(a)!r}, {str(b)!r}], {str(tmp_path / 'out')!r})\n"
        "from pipeline.cli import report_cmd\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'ray'))\n"
        "assert not bad, bad\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "report.html").is_file()
