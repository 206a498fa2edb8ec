"""Reliability of the metrics, scorers and splitter: extreme weights, meta-estimators,
targets that cannot be stratified, exact values in messages, float32 predictions."""

import re
import warnings

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import GridSearchCV, PredefinedSplit, StratifiedKFold
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sksoftce import SoftLabelClassifier
from sksoftce.metrics import (
    expected_calibration_error,
    get_scorer,
    get_scorer_names,
    kl_divergence,
    soft_accuracy_score,
    soft_brier_score,
    soft_log_loss,
)
from sksoftce.model_selection import SoftStratifiedKFold

METRICS = [
    soft_log_loss,
    kl_divergence,
    soft_brier_score,
    soft_accuracy_score,
    expected_calibration_error,
]
SCORED_BY = {
    "neg_soft_log_loss": (soft_log_loss, -1),
    "neg_kl_divergence": (kl_divergence, -1),
    "neg_soft_brier_score": (soft_brier_score, -1),
    "soft_accuracy": (soft_accuracy_score, 1),
    "neg_expected_calibration_error": (expected_calibration_error, -1),
}


def _single_label_case(seed=0, n=30, K=3):
    rng = np.random.default_rng(seed)
    return rng.dirichlet(np.ones(K), size=n), rng.dirichlet(np.ones(K), size=n)


def _multilabel_case(seed=0, n=30, K=3):
    rng = np.random.default_rng(seed)
    return rng.uniform(size=(n, K)), rng.uniform(0.01, 0.99, size=(n, K))


# ------------------------------------------------ item 2: extreme sample weights
@pytest.mark.parametrize("metric", METRICS, ids=lambda m: m.__name__)
@pytest.mark.parametrize("case", [_single_label_case, _multilabel_case])
@pytest.mark.parametrize("weight", [1e308, np.finfo(float).max, 5e-324])
def test_uniform_extreme_weights_give_the_unweighted_score(metric, case, weight):
    T, P = case()
    unweighted = metric(T, P)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow on the way
        weighted = metric(T, P, sample_weight=np.full(T.shape[0], weight))
    assert unweighted > 0
    assert weighted == pytest.approx(unweighted, rel=1e-12)


@pytest.mark.parametrize("metric", METRICS, ids=lambda m: m.__name__)
@pytest.mark.parametrize("scale", [1e300, 1e-300])
def test_scaling_all_weights_leaves_every_metric_unchanged(metric, scale):
    T, P = _single_label_case(seed=1)
    w = np.random.default_rng(1).uniform(0.5, 2.0, size=T.shape[0])
    expected = metric(T, P, sample_weight=w)
    assert expected != pytest.approx(metric(T, P))  # the weights matter here
    assert metric(T, P, sample_weight=w * scale) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("metric", METRICS, ids=lambda m: m.__name__)
def test_a_weight_dwarfing_the_others_decides_the_score(metric):
    T, P = _single_label_case(seed=2)
    w = np.full(T.shape[0], 1e-300)
    w[0] = 1e308
    assert metric(T, P, sample_weight=w) == pytest.approx(metric(T[:1], P[:1]))


@pytest.mark.parametrize("metric", METRICS, ids=lambda m: m.__name__)
@pytest.mark.parametrize("bad", [np.inf, np.nan])
def test_non_finite_sample_weight_is_rejected(metric, bad):
    T, P = _single_label_case()
    w = np.ones(T.shape[0])
    w[3] = bad
    with pytest.raises(ValueError, match="sample_weight"):
        metric(T, P, sample_weight=w)


def test_uniform_weights_give_exact_accuracy():
    y = np.arange(7) % 3
    P = np.eye(3)[y] * 0.8 + 0.2 / 3  # every sample right
    assert soft_accuracy_score(y, P) == 1.0
    assert soft_accuracy_score(y, P, sample_weight=np.full(7, 0.1)) == 1.0


# ------------------------------------------ item 7: scorers on meta-estimators
def _multilabel_data(seed=0, n=80):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    Y = (X[:, :3] + 0.5 * rng.normal(size=(n, 3)) > 0).astype(float)
    Y[0] = 0.0  # a row that does not sum to 1: the training targets read as multi-label
    return X, Y


def _one_label_per_row(n, seed=1):
    """Multi-label targets whose rows all happen to hold exactly one label."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 4)), np.eye(3)[rng.integers(3, size=n)]


# Multi-label models that do not expose target_type_ themselves: our estimator in
# a pipeline or a search, and scikit-learn's own multi-label MLP.
MULTILABEL_MODELS = {
    "pipeline": lambda: make_pipeline(
        StandardScaler(), SoftLabelClassifier(loss="bce")
    ),
    "grid-search": lambda: GridSearchCV(
        SoftLabelClassifier(loss="bce"), {"alpha": [0.1, 1.0]}, cv=3
    ),
    "sklearn-mlp": lambda: MLPClassifier(
        hidden_layer_sizes=(4,), solver="lbfgs", max_iter=5000, random_state=0
    ),
}


@pytest.mark.parametrize("name", sorted(SCORED_BY))
@pytest.mark.parametrize("model", sorted(MULTILABEL_MODELS))
def test_scorers_score_wrapped_and_foreign_multilabel_models_per_label(name, model):
    estimator = MULTILABEL_MODELS[model]().fit(*_multilabel_data())
    X_test, Y_test = _one_label_per_row(20)
    proba = estimator.predict_proba(X_test)
    assert not np.allclose(proba.sum(axis=1), 1.0)  # genuinely per-label outputs
    metric, sign = SCORED_BY[name]
    expected = sign * metric(Y_test, proba, labels=estimator.classes_, multilabel=True)
    assert get_scorer(name)(estimator, X_test, Y_test) == pytest.approx(expected)


def test_cross_validation_of_a_multilabel_pipeline_scores_every_fold():
    X, Y = _multilabel_data()
    X_ones, Y_ones = _one_label_per_row(20)
    X, Y = np.vstack([X, X_ones]), np.vstack([Y, Y_ones])
    test_fold = np.r_[np.full(80, -1), np.zeros(20, dtype=int)]  # one-label rows
    pipe = make_pipeline(StandardScaler(), SoftLabelClassifier(loss="bce"))
    search = GridSearchCV(
        pipe,
        {"softlabelclassifier__alpha": [1.0]},
        cv=PredefinedSplit(test_fold),
        scoring=get_scorer(get_scorer_names()),
        refit=False,
        error_score="raise",
    ).fit(X, Y)
    fitted = pipe.fit(X[:80], Y[:80])
    proba = fitted.predict_proba(X[80:])
    for name, (metric, sign) in SCORED_BY.items():
        expected = sign * metric(Y[80:], proba, multilabel=True)
        assert search.cv_results_[f"split0_test_{name}"][0] == pytest.approx(expected)


@pytest.mark.parametrize("name", sorted(SCORED_BY))
def test_scorers_keep_single_label_pipelines_single_label(name):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4))
    Y = rng.dirichlet(np.ones(3), size=60)
    pipe = make_pipeline(StandardScaler(), SoftLabelClassifier()).fit(X, Y)
    metric, sign = SCORED_BY[name]
    expected = sign * metric(Y, pipe.predict_proba(X), multilabel=False)
    assert get_scorer(name)(pipe, X, Y) == pytest.approx(expected)


def test_scorers_read_a_multilabel_model_whose_probabilities_saturate():
    """Saturated sigmoids can give rows that sum to exactly 1: still per label."""
    X, Y = _multilabel_data()
    pipe = make_pipeline(
        StandardScaler(with_mean=False, with_std=False),
        SoftLabelClassifier(loss="bce"),
    ).fit(X, Y)
    X_test = np.array([[5.0, -5.0, -5.0, 0.0], [-5.0, 5.0, -5.0, 0.0]]) * 1e7
    proba = pipe.predict_proba(X_test)
    np.testing.assert_array_equal(proba, [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    Y_test = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])  # both rows wrong
    for name in ["neg_soft_log_loss", "neg_soft_brier_score"]:
        metric, sign = SCORED_BY[name]
        per_label = sign * metric(Y_test, proba, multilabel=True)
        assert per_label != pytest.approx(sign * metric(Y_test, proba))
        assert get_scorer(name)(pipe, X_test, Y_test) == per_label


# ------------------------------------------ item 16: what the splitter accepts
@pytest.mark.parametrize(
    "y",
    [
        pytest.param(np.r_[0.2, np.nan, np.linspace(0.1, 0.9, 8)], id="nan-1d"),
        pytest.param(np.r_[0.2, np.inf, np.linspace(0.1, 0.9, 8)], id="inf-1d"),
        pytest.param(np.linspace(-3.5, 7.25, 10), id="regression-1d"),
        pytest.param(np.linspace(0.05, 1.05, 10), id="slightly-above-1"),
        pytest.param(np.where(np.eye(10, 3, dtype=bool), np.nan, 0.5), id="nan-2d"),
        pytest.param(np.random.default_rng(0).normal(size=(10, 3)), id="regression-2d"),
    ],
)
def test_soft_stratified_kfold_rejects_targets_that_are_not_classification_targets(y):
    with pytest.raises(ValueError, match=r"\by\b"):
        next(SoftStratifiedKFold(n_splits=2).split(np.zeros((10, 1)), y))


@pytest.mark.parametrize(
    "y, strata",
    [
        pytest.param(np.array(list("abab" * 3)), np.array(list("abab" * 3)), id="str"),
        pytest.param(
            np.array([3.0, -1.0] * 6), np.array([3.0, -1.0] * 6), id="integral-floats"
        ),
        pytest.param(np.linspace(0.0, 1.0, 12), np.arange(12) >= 6, id="soft-binary"),
        pytest.param(
            np.eye(3)[np.arange(12) % 3] * 0.7 + 0.1, np.arange(12) % 3, id="proba"
        ),
        pytest.param(
            np.c_[np.eye(2)[np.arange(12) % 2], np.ones(12)],
            np.where(np.arange(12) % 2 == 0, 0, 1),
            id="multilabel",
        ),
    ],
)
def test_soft_stratified_kfold_still_splits_every_accepted_target_form(y, strata):
    X = np.zeros((12, 1))
    ours = list(SoftStratifiedKFold(n_splits=2).split(X, y))
    expected = list(StratifiedKFold(n_splits=2).split(X, strata))
    assert len(ours) == 2
    for (train, test), (train_ref, test_ref) in zip(ours, expected, strict=True):
        np.testing.assert_array_equal(train, train_ref)
        np.testing.assert_array_equal(test, test_ref)


# --------------------------------------- item 14: offending values printed exactly
@pytest.mark.parametrize("metric", METRICS, ids=lambda m: m.__name__)
def test_range_error_prints_the_exact_offending_values(metric):
    y_pred = [[1.0000001, -1e-7], [0.5, 0.5]]
    with pytest.raises(ValueError, match=r"from -1e-07 to 1\.0000001\b"):
        metric([0, 1], y_pred)


@pytest.mark.parametrize("metric", METRICS, ids=lambda m: m.__name__)
def test_row_sum_error_prints_the_exact_row_sums(metric):
    y_pred = np.array([[0.5000006, 0.5000005], [0.5, 0.5]])
    sums = y_pred.sum(axis=1)
    with pytest.raises(ValueError, match="rows of y_pred must sum to 1") as info:
        metric([0, 1], y_pred)
    assert re.search(rf"to {re.escape(repr(float(sums.max())))}\b", str(info.value))


# ------------------------------------------- item 6: float32 predictions
class _Float32Proba(ClassifierMixin, BaseEstimator):
    """Returns fixed float32 probabilities whose rows miss 1 by 5e-5."""

    def fit(self, X, y):
        self.classes_ = np.array([0, 1, 2])
        return self

    def predict_proba(self, X):
        P = np.tile(np.array([0.2, 0.3, 0.5], dtype=np.float32), (len(X), 1))
        P[:, 2] += np.float32(5e-5)
        return P


@pytest.mark.parametrize("name", sorted(SCORED_BY))
def test_scorers_judge_float32_probabilities_by_float32_tolerance(name):
    X, y = np.zeros((6, 1)), np.arange(6) % 3
    estimator = _Float32Proba().fit(X, y)
    proba = estimator.predict_proba(X)
    metric, sign = SCORED_BY[name]
    with pytest.raises(ValueError, match="rows of y_pred must sum to 1"):
        metric(y, proba.astype(np.float64))  # 5e-5 exceeds float64's tolerance
    expected = sign * metric(y, proba)
    assert get_scorer(name)(estimator, X, y) == pytest.approx(expected)
