import subprocess
import sys

import treeboost as tb


def test_demo_command_prints_clinical_metrics():
    result = subprocess.run(
        [sys.executable, "-m", "treeboost", "demo"], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    for name in ("AUC", "sensitivity", "specificity", "F1", "Brier", "best iteration"):
        assert name in result.stdout
    auc_line = next(line for line in result.stdout.splitlines() if line.strip().startswith("AUC"))
    assert float(auc_line.split()[-1]) > 0.95


def test_warmup_runs():
    tb.warmup()
