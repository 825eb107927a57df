"""The demo job and its HTML report."""

import base64
import dataclasses
import io
import re

import numpy as np
import pytest

from treeboost.report import demo as demo_module
from treeboost.report import html as _report
from treeboost.report.demo import run_demo

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    pytest.importorskip("matplotlib")
    directory = tmp_path_factory.mktemp("demo") / "report"
    console = io.StringIO()
    result = run_demo(random_state=0, report_dir=directory, file=console)
    return result, console.getvalue(), directory


def test_demo_metrics_are_the_clinical_ones_and_consistent(demo):
    result, console, _ = demo
    assert list(result.metrics) == ["AUC", "sensitivity", "specificity", "F1", "Brier"]
    assert result.metrics["AUC"] > 0.95
    c = result.confusion
    assert c["TP"] + c["FN"] == int(result.y_test.sum())
    assert sum(c.values()) == len(result.y_test) == result.sizes["test"]
    assert result.metrics["sensitivity"] == pytest.approx(c["TP"] / (c["TP"] + c["FN"]))
    brier = np.mean((result.prob_test - result.y_test) ** 2)
    assert result.metrics["Brier"] == pytest.approx(brier)
    # Early stopping kept fewer rounds than the cap, and predict uses the best ones.
    booster = result.booster
    assert booster.best_iteration < booster.num_boosted_rounds() < 500
    for name, value in result.metrics.items():
        assert f"{name:<12} {value:.4f}" in console


def test_demo_console_output_is_plain_lines(demo):
    _, console, directory = demo
    lines = console.splitlines()
    assert lines[0].startswith("treeboost demo: breast cancer data, 569 rows x 30 features")
    progress = [line for line in lines if line.startswith("[")]
    assert progress[0].startswith("[0] train-auc") and "valid-logloss" in progress[0]
    assert all(int(line[1:].split("]")[0]) % 25 == 0 for line in progress[:-1])
    assert "\x1b" not in console  # no terminal control codes when the output is not a terminal
    assert f"report: {directory / 'index.html'} and 5 PNG plots" in console
    assert lines[-1].startswith("done in")


def test_demo_report_folder(demo):
    result, _, directory = demo
    stems = ["learning_curve", "importance", "shap_summary", "reliability", "tree_0"]
    assert [p.stem for p in result.report_figures] == stems
    page = (directory / "index.html").read_text(encoding="utf-8")
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) == 5
    for stem, encoded in zip(stems, images):
        png = (directory / f"{stem}.png").read_bytes()
        assert png.startswith(PNG_SIGNATURE) and len(png) > 5000
        assert base64.b64decode(encoded) == png  # embedded copy is the same image
    assert f'<td class="num">{result.metrics["AUC"]:.4f}</td>' in page
    assert "best iteration" in page and "binary:logistic" in page
    assert "<script" not in page and 'src="http' not in page  # needs nothing from outside


def test_demo_without_report_writes_nothing(demo, tmp_path, monkeypatch):
    # Reuse the trained demo: this checks only what run_demo does with report_dir=None.
    fresh = dataclasses.replace(demo[0], timings={}, report_page=None, report_figures=[])
    monkeypatch.setattr(demo_module, "train_demo_model", lambda random_state, file: fresh)
    monkeypatch.chdir(tmp_path)
    console = io.StringIO()
    result = demo_module.run_demo(report_dir=None, file=console)
    assert list(tmp_path.iterdir()) == []
    assert "report:" not in console.getvalue() and "AUC" in console.getvalue()
    assert result.timings["total"] >= 0 and "report" not in result.timings


def test_report_html_escapes_text_and_formats_numbers(tmp_path):
    report = _report.Report(
        title="a <b> & c",
        lead="x < y",
        tables=[_report.ReportTable("t", [("auc", 0.912345), ("rows", 12), ("name", "<i>")])],
        figures=[_report.ReportFigure("fig", "F", "caption & more", PNG_SIGNATURE + b"data")],
    )
    page_path = _report.write_report(report, tmp_path / "out")
    page = page_path.read_text()
    assert "<h1>a &lt;b&gt; &amp; c</h1>" in page and "x &lt; y" in page
    assert '<td class="num">0.9123</td>' in page and '<td class="num">12</td>' in page
    assert "<td>&lt;i&gt;</td>" in page and "caption &amp; more" in page
    assert (tmp_path / "out" / "fig.png").read_bytes() == PNG_SIGNATURE + b"data"
    assert base64.b64encode(PNG_SIGNATURE + b"data").decode() in page


def test_render_png_does_not_touch_pyplot_state():
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    png = _report.render_png(lambda ax: ax.plot([0, 1], [1, 0]), (3, 2), dpi=30)
    assert png.startswith(PNG_SIGNATURE)
    assert plt.get_fignums() == before
