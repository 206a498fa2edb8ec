"""The scripts under examples/ run and print what they promise."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _run(name):
    if name.startswith("plot_"):
        pytest.importorskip("matplotlib")
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    assert result.stderr == ""  # no warnings leak out of the examples
    return result.stdout


def _table_rows(output):
    return [
        line
        for line in output.splitlines()
        if line.startswith("| ") and "---" not in line
    ][1:]


def test_compare_losses_prints_the_eight_combinations():
    rows = _table_rows(_run("compare_losses.py"))
    assert len(rows) == 8
    accuracies = [float(row.split("|")[4]) for row in rows]
    assert min(accuracies) > 0.9


def test_accuracy_trap_shows_the_gap():
    out = _run("plot_accuracy_trap.py")
    rows = {row.split("|")[1].strip(): row.split("|")[2:5] for row in _table_rows(out)}
    binary, argmax, mse = (float(v) for v in rows["constant: all sigmoids 0"])
    assert binary == pytest.approx(0.9) and argmax == pytest.approx(0.1)
    assert mse == pytest.approx(0.09)
    binary, argmax, _ = (float(v) for v in rows["BCE, linear, 2 pixels"])
    assert binary - argmax > 0.3


@pytest.mark.slow
def test_mixup_example_reports_every_setting():
    out = _run("mixup_digits.py")
    assert len(_table_rows(out)) == 6
    assert len(re.findall(r"^For the .* model", out, flags=re.M)) == 2


def test_multilabel_example_shows_bce_beats_cce_on_every_label():
    rows = [row.split("|")[1:-1] for row in _table_rows(_run("plot_multilabel.py"))]
    per_label = {
        (r[0].strip(), r[1].strip()): [float(v) for v in r[2:]]
        for r in rows
        if len(r) == 8 and r[0].strip() != "data"
    }
    assert len(per_label) == 4
    for data in ("make_multilabel_classification", "independent labels"):
        bce, cce = per_label[data, "BCE"], per_label[data, "CCE on normalised rows"]
        assert all(b < c for b, c in zip(bce, cce, strict=True))


@pytest.mark.slow
def test_cross_validation_example_measures_both_traps():
    out = _run("plot_cross_validation.py")
    means = {
        row.split("|")[2].strip(): float(row.split("|")[4])
        for row in _table_rows(out)
        if row.split("|")[1].strip() == "soft"
    }
    assert means["cv=5 (unshuffled KFold)"] < 0.5
    assert means["SoftStratifiedKFold(5, shuffle=True)"] > 0.9
    assert "[nan nan]" in out
    assert "Use get_scorer('neg_soft_log_loss')" in out


def test_softmax_vs_sigmoid_example_measures_where_the_identity_holds():
    rows = {
        (r[0].strip(), r[1].strip(), r[2].strip()): float(r[3])
        for r in (
            row.split("|")[1:-1]
            for row in _table_rows(_run("plot_softmax_vs_sigmoid.py"))
        )
    }
    assert rows["linear, hard labels", "trust-ncg, tol=1e-10", "alpha / 2"] < 1e-8
    assert rows["linear, soft targets", "trust-ncg, tol=1e-10", "alpha / 2"] < 1e-8
    default = rows["linear, hard labels", "L-BFGS-B, tol=0.0001 (default)", "alpha / 2"]
    tight = rows["linear, hard labels", "L-BFGS-B, tol=1e-08", "alpha / 2"]
    assert tight < default
    assert rows["MLP (8,), hard labels", "L-BFGS-B, tol=1e-4", "alpha / 2"] > 1e-2


def _run_args(name, *args):
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    assert result.stderr == ""
    return result.stdout


def test_bce_vs_cce_study_quick_run_reports_every_configuration():
    rows = _table_rows(_run_args("bce_vs_cce_study.py", "--quick"))
    # 2 data sets x 2 models x 3 mixup settings, BCE and CCE side by side
    assert len(rows) == 12
    for row in rows:
        cells = [c.strip() for c in row.split("|")[1:-1]]
        assert len(cells) == 13
        bce_wins, cce_wins = (int(v) for v in cells[5].split("/"))
        assert bce_wins + cce_wins <= 2  # at most one win per split


def test_cached_study_results_cover_the_whole_design():
    sys.path.insert(0, str(EXAMPLES))
    try:
        import bce_vs_cce_study as study
    finally:
        sys.path.remove(str(EXAMPLES))
    rows = study.read_results()
    summaries = study.summarise(rows)
    assert len(summaries) == len(study.DATASETS) * len(study.MODELS) * len(study.MIXUPS)
    assert all(s["n_splits"] >= 10 for s in summaries)
    assert {row["dataset"] for row in rows} == set(study.DATASETS)
    for row in rows:
        assert 0 <= row["accuracy"] <= 1 and row["log_loss"] >= 0
