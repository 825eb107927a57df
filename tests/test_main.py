import subprocess
import sys

import pytest

import treeboost as tb


def test_demo_command_prints_clinical_metrics_and_writes_the_report(tmp_path):
    pytest.importorskip("matplotlib")
    result = subprocess.run(
        [sys.executable, "-m", "treeboost", "demo"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    for name in ("AUC", "sensitivity", "specificity", "F1", "Brier", "best iteration"):
        assert name in result.stdout
    auc_line = next(line for line in result.stdout.splitlines() if line.strip().startswith("AUC"))
    assert float(auc_line.split()[-1]) > 0.95
    report = tmp_path / "demo-report"
    assert "report: demo-report/index.html" in result.stdout
    assert (report / "index.html").stat().st_size > 10_000
    assert len(list(report.glob("*.png"))) == 5


def test_warmup_runs():
    tb.warmup()
