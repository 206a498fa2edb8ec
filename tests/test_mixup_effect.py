"""Mixup's effect on held-out data: the acceptance numbers of fresh mixtures.

The numbers come from ``examples/mixup_solvers_digits.py`` (10 paired stratified
70/30 splits of digits, MLP (64,), alpha=1e-4), the script whose table the user
guide shows; this test runs it and checks what the table must show.
"""

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "examples" / "mixup_solvers_digits.py"


def _study():
    spec = importlib.util.spec_from_file_location("mixup_solvers_digits", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module", params=["cce", "bce"])
def results(request):
    return _study().run(request.param)


def _accuracy(results, solver, max_iter, mixup_alpha):
    return results[(solver, max_iter, mixup_alpha)][:, 0].mean()


@pytest.mark.slow
def test_adam_mixup_is_no_worse_than_no_mixup(results):
    # Fresh mixtures in every mini-batch: mean accuracy at most 0.2 points lower.
    assert (
        _accuracy(results, "adam", 200, 0.2)
        >= _accuracy(results, "adam", 200, None) - 0.002
    )


@pytest.mark.slow
def test_lbfgs_mixup_does_not_degrade_with_longer_fits(results):
    # With one fixed set of mixtures, 1500 iterations memorised it (0.808 -> 0.643).
    long, short = (
        _accuracy(results, "L-BFGS-B", 1500, 0.2),
        _accuracy(results, "L-BFGS-B", 300, 0.2),
    )
    assert long >= short - 0.005


@pytest.mark.slow
def test_lbfgs_mixup_is_within_a_point_of_no_mixup(results):
    mixed = _accuracy(results, "L-BFGS-B", 1500, 0.2)
    assert abs(mixed - _accuracy(results, "L-BFGS-B", 1500, None)) <= 0.01
