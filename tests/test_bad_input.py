"""Bad input gives a ValueError or TypeError that names the problem, before any work."""

import numpy as np
import pytest

from sksoftce import SoftLabelClassifier

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
    ("nan-in-X", {}, _with(X, (0, 0), np.nan), Y_HARD, {}, ValueError, "Input X contains NaN"),
    ("inf-in-X", {}, _with(X, (3, 1), np.inf), Y_HARD, {}, ValueError, "Input X contains infinity"),
    ("nan-in-y", {}, X, _with(Y_SOFT, (2, 1), np.nan), {}, ValueError, "Input y contains NaN"),
    ("inf-in-y", {}, X, _with(Y_HARD, 4, np.inf), {}, ValueError, "Input y contains infinity"),
    ("1d-target-above-1", {}, X, np.linspace(0.1, 1.7, 20), {}, ValueError, r"outside \[0, 1\]"),
    ("1d-target-below-0", {}, X, np.linspace(-0.5, 0.9, 20), {}, ValueError, r"outside \[0, 1\]"),
    ("2d-target-above-1", {}, X, _with(Y_SOFT, (0, 0), 1.5), {}, ValueError, r"probabilities in \[0, 1\]"),
    ("negative-probability", {}, X, _with(Y_SOFT, (0, 0), -0.1), {}, ValueError, r"probabilities in \[0, 1\]"),
    ("cce-rows-not-summing-to-1", {"multilabel": False}, X, Y_SOFT * 0.9, {}, ValueError, "must sum to 1"),
    ("cce-on-multilabel", {"loss": "cce"}, X, (Y_SOFT > 0.3).astype(float), {}, ValueError, "loss='cce'.*multi-label"),
    ("multilabel-true-on-1d", {"loss": "bce", "multilabel": True}, X, Y_HARD, {}, ValueError, "multilabel=True needs 2-D"),
    ("3d-y", {}, X, Y_SOFT[:, :, None], {}, ValueError, "dim 3"),
    ("3d-X", {}, X[:, :, None], Y_HARD, {}, ValueError, "dim 3"),
    ("1d-X", {}, X[:, 0], Y_HARD, {}, ValueError, "Expected 2D array"),
    ("length-mismatch", {}, X, Y_HARD[:-1], {}, ValueError, "inconsistent numbers of samples"),
    ("one-class", {}, X, np.zeros(20, dtype=int), {}, ValueError, "only one class"),
    ("empty-X", {}, X[:0], Y_HARD[:0], {}, ValueError, "0 sample"),
    ("continuous-y", {}, X, np.linspace(-3, 7, 20), {}, ValueError, "Unknown label type"),
    ("complex-X", {}, X + 1j, Y_HARD, {}, ValueError, "Complex data not supported"),
    ("string-X", {}, np.array([["a", "b", "c"]] * 20), Y_HARD, {}, ValueError, "could not convert"),
    ("negative-sample-weight", {}, X, Y_HARD, {"sample_weight": _with(np.ones(20), 0, -1)}, ValueError, "sample_weight"),
    ("zero-sample-weights", {}, X, Y_HARD, {"sample_weight": np.zeros(20)}, ValueError, "Sample weights must contain at least one non-zero"),
    ("sample-weight-length", {}, X, Y_HARD, {"sample_weight": np.ones(19)}, ValueError, r"sample_weight.shape == \(19,\)"),
    ("unknown-loss", {"loss": "mse"}, X, Y_HARD, {}, ValueError, "'loss' parameter"),
    ("unknown-solver", {"solver": "adam"}, X, Y_HARD, {}, ValueError, "'solver' parameter"),
    ("unknown-activation", {"activation": "gelu"}, X, Y_HARD, {}, ValueError, "'activation' parameter"),
    ("label-smoothing-1", {"label_smoothing": 1.0}, X, Y_HARD, {}, ValueError, "'label_smoothing' parameter"),
    ("label-smoothing-negative", {"label_smoothing": -0.1}, X, Y_HARD, {}, ValueError, "'label_smoothing' parameter"),
    ("negative-alpha", {"alpha": -1.0}, X, Y_HARD, {}, ValueError, "'alpha' parameter"),
    ("zero-max-iter", {"max_iter": 0}, X, Y_HARD, {}, ValueError, "'max_iter' parameter"),
    ("negative-tol", {"tol": -1e-3}, X, Y_HARD, {}, ValueError, "'tol' parameter"),
    ("hidden-size-zero", {"hidden_layer_sizes": (5, 0)}, X, Y_HARD, {}, ValueError, "hidden_layer_sizes"),
    ("hidden-size-float", {"hidden_layer_sizes": (5.5,)}, X, Y_HARD, {}, ValueError, "hidden_layer_sizes"),
    ("solver-options-not-dict", {"solver_options": [1]}, X, Y_HARD, {}, ValueError, "'solver_options' parameter"),
    ("bad-class-weight", {"class_weight": "auto"}, X, Y_HARD, {}, ValueError, "'class_weight' parameter"),
    ("class-weight-unknown-class", {"class_weight": {7: 2.0}}, X, Y_HARD, {}, ValueError, r"class_weight names classes.*\[7\]"),
    ("class-weight-multilabel", {"loss": "bce", "class_weight": "balanced"}, X, (Y_SOFT > 0.3).astype(float), {}, ValueError, "class_weight is not supported for multi-label"),
    ("classes-wrong-length", {"classes": ["a", "b"]}, X, Y_SOFT, {}, ValueError, "classes names 2 classes but y has 3 columns"),
    ("classes-duplicates", {"classes": ["a", "a", "b"]}, X, Y_SOFT, {}, ValueError, "duplicates"),
    ("label-not-in-classes", {"classes": [0, 1]}, X, Y_HARD, {}, ValueError, r"labels that are not in classes"),
    ("soft-binary-with-3-classes", {"classes": [0, 1, 2]}, X, np.linspace(0.1, 0.9, 20), {}, ValueError, "classes must name 2 classes"),
    ("multilabel-bad-value", {"multilabel": "yes"}, X, Y_HARD, {}, ValueError, "'multilabel' parameter"),
    ("hessian-solver-on-mlp", {"solver": "trust-ncg", "hidden_layer_sizes": (4,)}, X, Y_HARD, {}, ValueError, "linear models"),
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

    monkeypatch.setattr("sksoftce._classifier.optimize", must_not_run)
    clf = SoftLabelClassifier(**params)
    with pytest.raises(error, match=match):
        clf.fit(X_bad, y_bad, **fit_kwargs)
    assert not hasattr(clf, "classes_")  # nothing half-fitted


def test_table_has_at_least_thirty_cases():
    assert len(BAD_FIT_INPUTS) >= 30


@pytest.fixture(scope="module")
def fitted():
    return SoftLabelClassifier().fit(X, Y_HARD)


@pytest.mark.parametrize("method", ["predict", "predict_proba", "predict_log_proba", "decision_function"])
def test_predict_with_other_number_of_features(fitted, method):
    with pytest.raises(ValueError, match="X has 4 features, but SoftLabelClassifier is expecting 3"):
        getattr(fitted, method)(np.ones((2, 4)))


@pytest.mark.parametrize("method", ["predict", "predict_proba", "decision_function", "score"])
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
    SoftLabelClassifier(label_smoothing=0.1, class_weight="balanced").fit(X_in, y_in, sample_weight=w_in)
    for before, after in zip(copies, (X_in, y_in, w_in)):
        np.testing.assert_array_equal(before, after)
