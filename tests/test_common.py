"""scikit-learn's estimator checks for every public estimator."""

import warnings

from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import parametrize_with_checks

from sksoftce import MixupTransformer, SoftLabelClassifier

# An MLP's objective with integer sample weights is the objective on repeated rows
# (tests/test_classifier.py checks both values and gradients agree to 1e-12), but
# L-BFGS on a non-convex objective amplifies the last-bit differences of the two sums
# over its iterations and stops at points whose probabilities differ by 1e-5 to 6e-4
# (measured, each check failing on that assertion), far above the check's rtol of
# 1e-7. The linear (convex) models pass these checks.
_MLP_SAMPLE_WEIGHT = (
    "L-BFGS on the non-convex MLP objective turns rounding differences between "
    "weighted and repeated rows into different iterates"
)

_MLP = SoftLabelClassifier(hidden_layer_sizes=(16,), random_state=0)
_MLP_TANH_BCE = SoftLabelClassifier(
    loss="bce", hidden_layer_sizes=(16, 8), activation="tanh", random_state=0
)
_MLP_LBFGS = SoftLabelClassifier(
    solver="lbfgs", hidden_layer_sizes=(4,), random_state=0
)
_MIXUP = SoftLabelClassifier(mixup=MixupTransformer(random_state=0), random_state=0)

ESTIMATORS = [
    SoftLabelClassifier(),
    SoftLabelClassifier(loss="bce"),
    _MIXUP,
    SoftLabelClassifier(solver="adam", hidden_layer_sizes=(8,), random_state=0),
    SoftLabelClassifier(
        loss="bce", solver="sgd", learning_rate="adaptive", random_state=0
    ),
    MixupTransformer(random_state=0),
]
# Whether those rounding differences exceed the check's tolerance depends on the
# BLAS and the machine (measured: _MLP_LBFGS's dense check failed on one machine and
# passed on another with the same packages), so their expected failures are not
# strict.
ROUNDING_DEPENDENT = [_MLP, _MLP_TANH_BCE, _MLP_LBFGS]


# Mixup draws random pairs in proportion to the sample weights: integer weights act
# as repeated rows in distribution (tests/test_mixup.py tests the draw frequencies),
# not draw by draw, and n repeated rows give more mixed rows than the weighted ones.
_MIXUP_SAMPLE_WEIGHT = (
    "mixup's random pairs match repeated rows in distribution, not draw by draw"
)
# Every expected failure is measured here and strict (xfail_strict=True below and in
# pyproject): a check that starts to pass fails the suite until its entry goes. The
# exception is ROUNDING_DEPENDENT above.
EXPECTED_FAILURES = {
    id(_MLP): {"check_sample_weight_equivalence_on_dense_data": _MLP_SAMPLE_WEIGHT},
    id(_MLP_LBFGS): {
        "check_sample_weight_equivalence_on_dense_data": _MLP_SAMPLE_WEIGHT
    },
    id(_MLP_TANH_BCE): {
        "check_sample_weight_equivalence_on_dense_data": _MLP_SAMPLE_WEIGHT,
        "check_sample_weight_equivalence_on_sparse_data": _MLP_SAMPLE_WEIGHT,
    },
    id(_MIXUP): {
        "check_sample_weight_equivalence_on_dense_data": _MIXUP_SAMPLE_WEIGHT,
        "check_sample_weight_equivalence_on_sparse_data": _MIXUP_SAMPLE_WEIGHT,
    },
}


def _expected_failed_checks(estimator):
    return EXPECTED_FAILURES.get(id(estimator), {})


@parametrize_with_checks(
    ESTIMATORS, expected_failed_checks=_expected_failed_checks, xfail_strict=True
)
def test_sklearn_compatible_estimator(estimator, check):
    _run_check(estimator, check)


@parametrize_with_checks(
    ROUNDING_DEPENDENT,
    expected_failed_checks=_expected_failed_checks,
    xfail_strict=False,
)
def test_sklearn_compatible_mlp(estimator, check):
    _run_check(estimator, check)


def _run_check(estimator, check):
    # The checks test the API on small data sets of their own (random features and
    # labels among them) with each estimator's fixed default budget (max_iter=200,
    # or the 1000 some checks set); MLPs and the stochastic solvers often stop at
    # that budget there, which is not what the checks are about (scikit-learn's own
    # common tests ignore ConvergenceWarning the same way).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)
