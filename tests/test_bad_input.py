"""Bad input gives a ValueError or TypeError that names the problem, before any work."""

import numpy as np
import pytest
from sklearn.svm import LinearSVC

from sksoftce import MixupTransformer, SoftLabelClassifier
from sksoftce.metrics import (
    expected_calibration_error,
    get_scorer,
    kl_divergence,
    soft_accuracy_score,
    soft_brier_score,
    soft_log_loss,
)

RNG = np.random.default_rng(0)
X = RNG.normal(size=(20, 3))
Y_HARD = np.arange(20) % 3
Y_SOFT = RNG.dirichlet(np.ones(3), size=20)


def _with(array, index, value):
    out = np.array(array, dtype=float)
    out[index] = value
    return out


# (id, estimator parameters, X, y, fit kwargs, exception type, message pattern)
BAD_FIT_INPUTS = [
    (
        "nan-in-X",
        {},
        _with(X, (0, 0), np.nan),
        Y_HARD,
        {},
        ValueError,
        "Input X contains NaN",
    ),
    (
        "inf-in-X",
        {},
        _with(X, (3, 1), np.inf),
        Y_HARD,
        {},
        ValueError,
        "Input X contains infinity",
    ),
    (
        "nan-in-y",
        {},
        X,
        _with(Y_SOFT, (2, 1), np.nan),
        {},
        ValueError,
        "Input y contains NaN",
    ),
    (
        "inf-in-y",
        {},
        X,
        _with(Y_HARD, 4, np.inf),
        {},
        ValueError,
        "Input y contains infinity",
    ),
    (
        "1d-target-above-1",
        {},
        X,
        np.linspace(0.1, 1.7, 20),
        {},
        ValueError,
        r"outside \[0, 1\]",
    ),
    (
        "1d-target-below-0",
        {},
        X,
        np.linspace(-0.5, 0.9, 20),
        {},
        ValueError,
        r"outside \[0, 1\]",
    ),
    (
        "2d-target-above-1",
        {},
        X,
        _with(Y_SOFT, (0, 0), 1.5),
        {},
        ValueError,
        r"probabilities in \[0, 1\]",
    ),
    (
        "negative-probability",
        {},
        X,
        _with(Y_SOFT, (0, 0), -0.1),
        {},
        ValueError,
        r"probabilities in \[0, 1\]",
    ),
    (
        "cce-rows-not-summing-to-1",
        {"multilabel": False},
        X,
        Y_SOFT * 0.9,
        {},
        ValueError,
        "must sum to 1",
    ),
    (
        "cce-on-multilabel",
        {"loss": "cce"},
        X,
        (Y_SOFT > 0.3).astype(float),
        {},
        ValueError,
        "loss='cce'.*multi-label",
    ),
    (
        "multilabel-true-on-1d",
        {"loss": "bce", "multilabel": True},
        X,
        Y_HARD,
        {},
        ValueError,
        "multilabel=True needs 2-D",
    ),
    ("3d-y", {}, X, Y_SOFT[:, :, None], {}, ValueError, "dim 3"),
    ("3d-X", {}, X[:, :, None], Y_HARD, {}, ValueError, "dim 3"),
    ("1d-X", {}, X[:, 0], Y_HARD, {}, ValueError, "Expected 2D array"),
    (
        "length-mismatch",
        {},
        X,
        Y_HARD[:-1],
        {},
        ValueError,
        "inconsistent numbers of samples",
    ),
    ("one-class", {}, X, np.zeros(20, dtype=int), {}, ValueError, "only one class"),
    ("empty-X", {}, X[:0], Y_HARD[:0], {}, ValueError, "0 sample"),
    (
        "continuous-y",
        {},
        X,
        np.linspace(-3, 7, 20),
        {},
        ValueError,
        "Unknown label type",
    ),
    ("complex-X", {}, X + 1j, Y_HARD, {}, ValueError, "Complex data not supported"),
    (
        "string-X",
        {},
        np.array([["a", "b", "c"]] * 20),
        Y_HARD,
        {},
        ValueError,
        "could not convert",
    ),
    (
        "negative-sample-weight",
        {},
        X,
        Y_HARD,
        {"sample_weight": _with(np.ones(20), 0, -1)},
        ValueError,
        "sample_weight",
    ),
    (
        "zero-sample-weights",
        {},
        X,
        Y_HARD,
        {"sample_weight": np.zeros(20)},
        ValueError,
        "Sample weights must contain at least one non-zero",
    ),
    (
        "sample-weight-length",
        {},
        X,
        Y_HARD,
        {"sample_weight": np.ones(19)},
        ValueError,
        r"sample_weight.shape == \(19,\)",
    ),
    ("unknown-loss", {"loss": "mse"}, X, Y_HARD, {}, ValueError, "'loss' parameter"),
    (
        "unknown-solver",
        {"solver": "rmsprop"},
        X,
        Y_HARD,
        {},
        ValueError,
        "'solver' parameter",
    ),
    (
        "unknown-activation",
        {"activation": "gelu"},
        X,
        Y_HARD,
        {},
        ValueError,
        "'activation' parameter",
    ),
    (
        "label-smoothing-1",
        {"label_smoothing": 1.0},
        X,
        Y_HARD,
        {},
        ValueError,
        "'label_smoothing' parameter",
    ),
    (
        "label-smoothing-negative",
        {"label_smoothing": -0.1},
        X,
        Y_HARD,
        {},
        ValueError,
        "'label_smoothing' parameter",
    ),
    ("negative-alpha", {"alpha": -1.0}, X, Y_HARD, {}, ValueError, "'alpha' parameter"),
    (
        "zero-max-iter",
        {"max_iter": 0},
        X,
        Y_HARD,
        {},
        ValueError,
        "'max_iter' parameter",
    ),
    ("negative-tol", {"tol": -1e-3}, X, Y_HARD, {}, ValueError, "'tol' parameter"),
    (
        "hidden-size-zero",
        {"hidden_layer_sizes": (5, 0)},
        X,
        Y_HARD,
        {},
        ValueError,
        "hidden_layer_sizes",
    ),
    (
        "hidden-size-float",
        {"hidden_layer_sizes": (5.5,)},
        X,
        Y_HARD,
        {},
        ValueError,
        "hidden_layer_sizes",
    ),
    (
        "solver-options-not-dict",
        {"solver_options": [1]},
        X,
        Y_HARD,
        {},
        ValueError,
        "'solver_options' parameter",
    ),
    (
        "bad-class-weight",
        {"class_weight": "auto"},
        X,
        Y_HARD,
        {},
        ValueError,
        "'class_weight' parameter",
    ),
    (
        "class-weight-unknown-class",
        {"class_weight": {7: 2.0}},
        X,
        Y_HARD,
        {},
        ValueError,
        r"class_weight names classes.*\[7\]",
    ),
    (
        "class-weight-multilabel",
        {"loss": "bce", "class_weight": "balanced"},
        X,
        (Y_SOFT > 0.3).astype(float),
        {},
        ValueError,
        "class_weight is not supported for multi-label",
    ),
    (
        "classes-wrong-length",
        {"classes": ["a", "b"]},
        X,
        Y_SOFT,
        {},
        ValueError,
        "classes names 2 classes but y has 3 columns",
    ),
    (
        "classes-duplicates",
        {"classes": ["a", "a", "b"]},
        X,
        Y_SOFT,
        {},
        ValueError,
        "duplicates",
    ),
    (
        "label-not-in-classes",
        {"classes": [0, 1]},
        X,
        Y_HARD,
        {},
        ValueError,
        r"labels that are not in classes",
    ),
    (
        "soft-binary-with-3-classes",
        {"classes": [0, 1, 2]},
        X,
        np.linspace(0.1, 0.9, 20),
        {},
        ValueError,
        "classes must name 2 classes",
    ),
    (
        "multilabel-bad-value",
        {"multilabel": "yes"},
        X,
        Y_HARD,
        {},
        ValueError,
        "'multilabel' parameter",
    ),
    (
        "hessian-solver-on-mlp",
        {"solver": "trust-ncg", "hidden_layer_sizes": (4,)},
        X,
        Y_HARD,
        {},
        ValueError,
        "linear models",
    ),
    (
        "mixed-type-labels",
        {},
        X,
        np.array([1, "a"] * 10, dtype=object),
        {},
        ValueError,
        "Unknown label type",
    ),
    (
        "object-X-of-dicts",
        {},
        np.array([[{}] * 3] * 20, dtype=object),
        Y_HARD,
        {},
        TypeError,
        "not 'dict'",
    ),
    ("bytes-labels", {}, X, np.array([b"a", b"b"] * 10), {}, TypeError, "bytes"),
    (
        "nan-sample-weight",
        {},
        X,
        Y_HARD,
        {"sample_weight": _with(np.ones(20), 0, np.nan)},
        ValueError,
        "Input sample_weight contains NaN",
    ),
    (
        "2d-sample-weight",
        {},
        X,
        Y_HARD,
        {"sample_weight": np.ones((20, 2))},
        ValueError,
        "Sample weights must be 1D",
    ),
    (
        "classes-with-nan",
        {"classes": [0.0, np.nan, 2.0]},
        X,
        Y_SOFT,
        {},
        ValueError,
        "classes must not contain NaN",
    ),
    (
        "single-class-name",
        {"classes": [0]},
        X,
        Y_HARD,
        {},
        ValueError,
        "at least 2 class names",
    ),
    (
        "bad-random-state",
        {"random_state": "seed"},
        X,
        Y_HARD,
        {},
        ValueError,
        "'random_state' parameter",
    ),
    (
        "negative-verbose",
        {"verbose": -1},
        X,
        Y_HARD,
        {},
        ValueError,
        "'verbose' parameter",
    ),
    (
        "float-max-iter",
        {"max_iter": 2.5},
        X,
        Y_HARD,
        {},
        ValueError,
        "'max_iter' parameter",
    ),
    ("nan-alpha", {"alpha": np.nan}, X, Y_HARD, {}, ValueError, "'alpha' parameter"),
    (
        "warm-start-not-bool",
        {"warm_start": "yes"},
        X,
        Y_HARD,
        {},
        ValueError,
        "'warm_start' parameter",
    ),
    (
        "negative-class-weight",
        {"class_weight": {0: -1.0}},
        X,
        Y_HARD,
        {},
        ValueError,
        "class_weight values must be finite and non-negative",
    ),
    (
        "unknown-solver-option",
        {"solver_options": {"bogus": 1}},
        X,
        Y_HARD,
        {},
        ValueError,
        r"solver_options has options .*\['bogus'\]",
    ),
    (
        "maxiter-in-solver-options",
        {"solver_options": {"maxiter": 5}},
        X,
        Y_HARD,
        {},
        ValueError,
        "use the max_iter parameter",
    ),
    (
        "callback-not-callable",
        {"solver_options": {"callback": 3}},
        X,
        Y_HARD,
        {},
        ValueError,
        r"solver_options\['callback'\] must be callable",
    ),
    (
        "mixup-not-a-transformer",
        {"mixup": "mixup"},
        X,
        Y_HARD,
        {},
        ValueError,
        "'mixup' parameter",
    ),
    (
        "mixup-bad-alpha",
        {"mixup": MixupTransformer(alpha=0.0)},
        X,
        Y_HARD,
        {},
        ValueError,
        "'alpha' parameter of MixupTransformer",
    ),
]


@pytest.mark.parametrize(
    "params, X_bad, y_bad, fit_kwargs, error, match",
    [case[1:] for case in BAD_FIT_INPUTS],
    ids=[case[0] for case in BAD_FIT_INPUTS],
)
def test_bad_fit_input_raises_before_any_work(
    monkeypatch, params, X_bad, y_bad, fit_kwargs, error, match
):
    def must_not_run(*args, **kwargs):
        raise AssertionError("the optimizer ran on bad input")

    monkeypatch.setattr("sksoftce._scipy_solver.optimize", must_not_run)
    monkeypatch.setattr("sksoftce._classifier.run_epochs", must_not_run)
    clf = SoftLabelClassifier(**params)
    with pytest.raises(error, match=match):
        clf.fit(X_bad, y_bad, **fit_kwargs)
    assert not hasattr(clf, "classes_")  # nothing half-fitted


@pytest.fixture(scope="module")
def fitted():
    return SoftLabelClassifier().fit(X, Y_HARD)


@pytest.mark.parametrize(
    "method", ["predict", "predict_proba", "predict_log_proba", "decision_function"]
)
def test_predict_with_other_number_of_features(fitted, method):
    with pytest.raises(
        ValueError, match="X has 4 features, but SoftLabelClassifier is expecting 3"
    ):
        getattr(fitted, method)(np.ones((2, 4)))


@pytest.mark.parametrize(
    "method", ["predict", "predict_proba", "decision_function", "score"]
)
def test_unfitted_use_raises_not_fitted(method):
    from sklearn.exceptions import NotFittedError

    args = (X, Y_HARD) if method == "score" else (X,)
    with pytest.raises(NotFittedError, match="not fitted yet"):
        getattr(SoftLabelClassifier(), method)(*args)


def test_nan_at_predict_time(fitted):
    with pytest.raises(ValueError, match="Input X contains NaN"):
        fitted.predict(_with(X, (0, 0), np.nan))


def test_score_with_soft_targets_of_the_wrong_width(fitted):
    with pytest.raises(ValueError, match="classes names 3 classes but y has 2 columns"):
        fitted.score(X, RNG.dirichlet(np.ones(2), size=20))


def test_bfgs_refuses_a_model_too_large_for_its_dense_matrix():
    with pytest.raises(ValueError, match="solver='BFGS' stores a dense"):
        SoftLabelClassifier(solver="BFGS", hidden_layer_sizes=(20000,)).fit(X, Y_HARD)


def test_inputs_are_not_modified():
    X_in, y_in, w_in = X.copy(), Y_SOFT.copy(), RNG.uniform(1, 2, size=20)
    copies = X_in.copy(), y_in.copy(), w_in.copy()
    SoftLabelClassifier(label_smoothing=0.1, class_weight="balanced").fit(
        X_in, y_in, sample_weight=w_in
    )
    for before, after in zip(copies, (X_in, y_in, w_in), strict=True):
        np.testing.assert_array_equal(before, after)


def test_solver_options_scipy_refuses_name_the_parameter():
    # maxls=0 passes the name check; SciPy refuses the value in a dry run, before the
    # fit.
    with pytest.raises(
        ValueError, match=r"solver_options=\{'maxls': 0\} were refused.*maxls"
    ):
        SoftLabelClassifier(solver_options={"maxls": 0}).fit(X, Y_HARD)


def test_warm_start_with_another_number_of_features():
    clf = SoftLabelClassifier(warm_start=True).fit(X, Y_HARD)
    with pytest.raises(
        ValueError, match="X has 2 features, but SoftLabelClassifier is expecting 3"
    ):
        clf.fit(X[:, :2], Y_HARD)
    assert clf.n_features_in_ == 3


# ------------------------------------------------------------ MixupTransformer
# (id, parameters, X, y, fit_resample kwargs, exception type, message pattern)
BAD_MIXUP_INPUTS = [
    (
        "nan-in-X",
        {},
        _with(X, (0, 0), np.nan),
        Y_HARD,
        {},
        ValueError,
        "Input X contains NaN",
    ),
    (
        "inf-in-X",
        {},
        _with(X, (1, 1), np.inf),
        Y_HARD,
        {},
        ValueError,
        "Input X contains infinity",
    ),
    (
        "nan-in-y",
        {},
        X,
        _with(Y_SOFT, (0, 0), np.nan),
        {},
        ValueError,
        "Input y contains NaN",
    ),
    (
        "rows-not-summing-to-1",
        {"multilabel": False},
        X,
        Y_SOFT * 0.9,
        {},
        ValueError,
        "must sum to 1",
    ),
    (
        "1d-target-above-1",
        {},
        X,
        np.linspace(0.1, 1.5, 20),
        {},
        ValueError,
        r"outside \[0, 1\]",
    ),
    ("one-class", {}, X, np.zeros(20), {}, ValueError, "only one class"),
    ("empty", {}, X[:0], Y_HARD[:0], {}, ValueError, "0 sample"),
    ("complex-X", {}, X + 1j, Y_HARD, {}, ValueError, "Complex data not supported"),
    (
        "string-X",
        {},
        np.array([["a", "b", "c"]] * 20, dtype=object),
        Y_HARD,
        {},
        ValueError,
        "could not convert",
    ),
    ("3d-X", {}, X[:, :, None], Y_HARD, {}, ValueError, "dim 3"),
    (
        "length-mismatch",
        {},
        X,
        Y_HARD[:-1],
        {},
        ValueError,
        "inconsistent numbers of samples",
    ),
    (
        "negative-sample-weight",
        {},
        X,
        Y_HARD,
        {"sample_weight": -np.ones(20)},
        ValueError,
        "sample_weight",
    ),
    (
        "zero-sample-weights",
        {},
        X,
        Y_HARD,
        {"sample_weight": np.zeros(20)},
        ValueError,
        "at least one non-zero",
    ),
    (
        "sample-weight-length",
        {},
        X,
        Y_HARD,
        {"sample_weight": np.ones(19)},
        ValueError,
        r"sample_weight.shape == \(19,\)",
    ),
    (
        "classes-wrong-width",
        {"classes": [0, 1]},
        X,
        Y_SOFT,
        {},
        ValueError,
        "classes names 2 classes but y has 3 columns",
    ),
    (
        "label-not-in-classes",
        {"classes": [0, 1]},
        X,
        Y_HARD,
        {},
        ValueError,
        "labels that are not in classes",
    ),
    ("alpha-zero", {"alpha": 0.0}, X, Y_HARD, {}, ValueError, "'alpha' parameter"),
    (
        "n-samples-zero",
        {"n_samples": 0},
        X,
        Y_HARD,
        {},
        ValueError,
        "'n_samples' parameter",
    ),
    (
        "n-samples-string",
        {"n_samples": "all"},
        X,
        Y_HARD,
        {},
        ValueError,
        "'n_samples' parameter",
    ),
    (
        "include-original-string",
        {"include_original": "yes"},
        X,
        Y_HARD,
        {},
        ValueError,
        "'include_original' parameter",
    ),
    (
        "bad-random-state",
        {"random_state": "seed"},
        X,
        Y_HARD,
        {},
        ValueError,
        "'random_state' parameter",
    ),
    (
        "bad-multilabel",
        {"multilabel": "yes"},
        X,
        Y_HARD,
        {},
        ValueError,
        "'multilabel' parameter",
    ),
]


@pytest.mark.parametrize(
    "params, X_bad, y_bad, kwargs, error, match",
    [case[1:] for case in BAD_MIXUP_INPUTS],
    ids=[case[0] for case in BAD_MIXUP_INPUTS],
)
def test_bad_mixup_input_raises_before_mixing(
    monkeypatch, params, X_bad, y_bad, kwargs, error, match
):
    def must_not_run(*args, **kwargs):
        raise AssertionError("mixing ran on bad input")

    monkeypatch.setattr("sksoftce._mixup.mix", must_not_run)
    mixup = MixupTransformer(**params)
    with pytest.raises(error, match=match):
        mixup.fit_resample(X_bad, y_bad, **kwargs)
    # Nothing half-fitted:
    assert [name for name in vars(mixup) if name.endswith("_")] == []


# --------------------------------------------------------------------- metrics
METRICS = [
    soft_log_loss,
    kl_divergence,
    soft_brier_score,
    soft_accuracy_score,
    expected_calibration_error,
]
P = np.full((20, 3), 1 / 3)

# (id, y_true, y_pred, kwargs, exception type, message pattern)
BAD_METRIC_INPUTS = [
    (
        "pred-inf",
        Y_HARD,
        _with(P, (0, 0), np.inf),
        {},
        ValueError,
        "Input y_pred contains infinity",
    ),
    (
        "pred-nan",
        Y_HARD,
        _with(P, (0, 0), np.nan),
        {},
        ValueError,
        "Input y_pred contains NaN",
    ),
    (
        "true-nan",
        _with(Y_SOFT, (1, 1), np.nan),
        P,
        {},
        ValueError,
        "Input y_true contains NaN",
    ),
    (
        "pred-outside-0-1",
        Y_HARD,
        _with(P, (0, 0), 1.2),
        {},
        ValueError,
        r"y_pred must be probabilities in \[0, 1\]",
    ),
    (
        "true-outside-0-1",
        _with(Y_SOFT, (0, 0), 1.5),
        P,
        {},
        ValueError,
        r"probabilities in \[0, 1\]",
    ),
    (
        "pred-rows-not-summing-to-1",
        Y_HARD,
        P * 0.9,
        {},
        ValueError,
        "rows of y_pred must sum to 1",
    ),
    (
        "true-rows-not-summing-to-1",
        Y_SOFT * 0.9,
        P,
        {"multilabel": False},
        ValueError,
        "must sum to 1",
    ),
    (
        "length-mismatch",
        Y_HARD[:-1],
        P,
        {},
        ValueError,
        "inconsistent numbers of samples",
    ),
    (
        "width-mismatch",
        Y_HARD,
        P[:, :2] * 1.5,
        {},
        ValueError,
        r"y_pred of shape \(20, 2\) does not match",
    ),
    ("empty", Y_HARD[:0], P[:0], {}, ValueError, "0 sample"),
    ("complex-pred", Y_HARD, P + 1j, {}, ValueError, "Complex data not supported"),
    ("3d-pred", Y_HARD, P[:, :, None], {}, ValueError, "dim 3"),
    (
        "string-pred",
        Y_HARD,
        np.array([["a", "b", "c"]] * 20, dtype=object),
        {},
        ValueError,
        "could not convert",
    ),
    ("one-class", np.zeros(20), P[:, :2] * 1.5, {}, ValueError, "only one class"),
    (
        "labels-wrong-width",
        Y_SOFT,
        P,
        {"labels": [0, 1]},
        ValueError,
        "classes names 2 classes but y has 3 columns",
    ),
    (
        "label-not-in-labels",
        Y_HARD,
        P,
        {"labels": [0, 1, 5]},
        ValueError,
        "labels that are not in classes",
    ),
    (
        "negative-sample-weight",
        Y_HARD,
        P,
        {"sample_weight": -np.ones(20)},
        ValueError,
        "sample_weight",
    ),
    (
        "zero-sample-weights",
        Y_HARD,
        P,
        {"sample_weight": np.zeros(20)},
        ValueError,
        "at least one non-zero",
    ),
    (
        "sample-weight-length",
        Y_HARD,
        P,
        {"sample_weight": np.ones(19)},
        ValueError,
        r"sample_weight.shape == \(19,\)",
    ),
    (
        "bad-multilabel",
        Y_HARD,
        P,
        {"multilabel": "yes"},
        ValueError,
        "'multilabel' parameter",
    ),
]


@pytest.mark.parametrize("metric", METRICS, ids=lambda m: m.__name__)
@pytest.mark.parametrize(
    "y_true, y_pred, kwargs, error, match",
    [case[1:] for case in BAD_METRIC_INPUTS],
    ids=[case[0] for case in BAD_METRIC_INPUTS],
)
def test_bad_metric_input(metric, y_true, y_pred, kwargs, error, match):
    with pytest.raises(error, match=match):
        metric(y_true, y_pred, **kwargs)


@pytest.mark.parametrize(
    "metric, kwargs, match",
    [
        (expected_calibration_error, {"n_bins": 0}, "'n_bins' parameter"),
        (expected_calibration_error, {"n_bins": 2.5}, "'n_bins' parameter"),
        (expected_calibration_error, {"strategy": "equal"}, "'strategy' parameter"),
        (soft_brier_score, {"scale_by_half": "yes"}, "'scale_by_half' parameter"),
    ],
)
def test_bad_metric_parameters(metric, kwargs, match):
    with pytest.raises(ValueError, match=match):
        metric(Y_HARD, P, **kwargs)


# --------------------------------------------------------------------- scorers
SCORER_NAMES = [
    "neg_soft_log_loss",
    "neg_kl_divergence",
    "neg_soft_brier_score",
    "soft_accuracy",
    "neg_expected_calibration_error",
]

# (id, estimator, X, y, exception type, message pattern); "fitted" stands for the
# fixture.
BAD_SCORER_INPUTS = [
    (
        "nan-in-y",
        "fitted",
        X,
        _with(Y_HARD, 0, np.nan),
        ValueError,
        "Input y_true contains NaN",
    ),
    (
        "length-mismatch",
        "fitted",
        X,
        Y_HARD[:-1],
        ValueError,
        "inconsistent numbers of samples",
    ),
    (
        "label-not-in-classes_",
        "fitted",
        X,
        np.where(Y_HARD == 2, 7, Y_HARD),
        ValueError,
        r"labels that are not in classes: array\(\[7\]\)",
    ),
    (
        "targets-of-another-width",
        "fitted",
        X,
        RNG.dirichlet(np.ones(2), size=20),
        ValueError,
        "classes names 3 classes but y has 2 columns",
    ),
    (
        "other-number-of-features",
        "fitted",
        np.ones((20, 4)),
        Y_HARD,
        ValueError,
        "X has 4 features",
    ),
    # NotFittedError is a ValueError:
    (
        "unfitted-estimator",
        SoftLabelClassifier(),
        X,
        Y_HARD,
        ValueError,
        "not fitted yet",
    ),
    (
        "no-predict_proba",
        LinearSVC().fit(X, Y_HARD),
        X,
        Y_HARD,
        TypeError,
        "LinearSVC has no predict_proba",
    ),
]


@pytest.mark.parametrize("name", SCORER_NAMES)
@pytest.mark.parametrize(
    "estimator, X_bad, y_bad, error, match",
    [case[1:] for case in BAD_SCORER_INPUTS],
    ids=[case[0] for case in BAD_SCORER_INPUTS],
)
def test_bad_scorer_input(fitted, name, estimator, X_bad, y_bad, error, match):
    estimator = fitted if isinstance(estimator, str) else estimator
    with pytest.raises(error, match=match):
        get_scorer(name)(estimator, X_bad, y_bad)


def test_bad_scoring_names():
    with pytest.raises(
        ValueError, match="'soft_nonsense' is not a valid scoring value"
    ):
        get_scorer(["soft_accuracy", "soft_nonsense"])
    with pytest.raises(ValueError, match="'scoring' parameter"):
        get_scorer(3)


def test_the_tables_cover_every_public_entry_point():
    total = (
        len(BAD_FIT_INPUTS)
        + len(BAD_MIXUP_INPUTS)
        + len(BAD_METRIC_INPUTS)
        + len(BAD_SCORER_INPUTS)
    )
    assert total >= 30
    assert (
        min(len(BAD_MIXUP_INPUTS), len(BAD_METRIC_INPUTS), len(BAD_SCORER_INPUTS)) >= 5
    )
