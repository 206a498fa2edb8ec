"""Reliability, round 2: bad input, numeric extremes and threads, each case once broken."""

import copy
import threading
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_info

from sksoftce import SoftLabelClassifier
from sksoftce.metrics import get_scorer

RNG = np.random.default_rng(0)
X_IRIS, Y_IRIS = load_iris(return_X_y=True)
X_IRIS = StandardScaler().fit_transform(X_IRIS)
X = RNG.normal(size=(40, 3))
Y_BINARY = (X[:, 0] > 0).astype(int)
P = 1.0 / (1.0 + np.exp(-2.0 * X[:, 0]))


# ------------------------------------------------------------ threads (items 3, 4)
def test_a_fit_publishes_nothing_until_it_completes(monkeypatch):
    clf = SoftLabelClassifier().fit(X, Y_BINARY)
    before = copy.deepcopy(vars(clf))
    coef = clf.coef_.copy()
    seen = {}

    def spy(objective, theta0, **kwargs):
        # Mid-fit, from the solver: the estimator still holds the previous fit,
        # it predicts, and a deep copy of it is a working model.
        seen["n_features_in_"] = clf.n_features_in_
        seen["proba"] = clf.predict_proba(X[:3])
        seen["copy"] = copy.deepcopy(clf).predict(X[:3])
        raise RuntimeError("stop")

    monkeypatch.setattr("sksoftce._classifier.minimize_objective", spy)
    with pytest.raises(RuntimeError, match="stop"):
        clf.fit(np.hstack([X, X]), Y_BINARY)  # 6 features instead of 3
    assert seen["n_features_in_"] == 3
    np.testing.assert_array_equal(seen["proba"], clf.predict_proba(X[:3]))
    assert sorted(vars(clf)) == sorted(before)
    np.testing.assert_array_equal(clf.coef_, coef)


def test_a_failing_fit_does_not_erase_another_threads_fit(monkeypatch):
    # Thread B fails while thread A's fit completes in between: A's model stays.
    clf = SoftLabelClassifier()
    a_done, b_started = threading.Event(), threading.Event()
    original = SoftLabelClassifier._fit_scipy

    def slow_failure(self, *args):
        if self.alpha == 2.0:  # thread B
            b_started.set()
            a_done.wait(timeout=30)
            raise RuntimeError("B fails")
        return original(self, *args)

    monkeypatch.setattr(SoftLabelClassifier, "_fit_scipy", slow_failure)
    errors = []

    def thread_b():
        try:
            clf.set_params(alpha=2.0)
            clf.fit(X, Y_BINARY)
        except RuntimeError as exc:
            errors.append(exc)

    b = threading.Thread(target=thread_b)
    b.start()
    b_started.wait(timeout=30)
    clf.set_params(alpha=1.0)
    clf.fit(X, Y_BINARY)  # thread A (this one) completes while B is mid-fit
    fitted = clf.coef_.copy()
    a_done.set()
    b.join()
    assert errors and hasattr(clf, "coefs_")
    np.testing.assert_array_equal(clf.coef_, fitted)


def test_overlapping_fits_in_threads_restore_the_blas_threads():
    def blas_threads():
        return sorted(
            (info["filepath"], info["num_threads"])
            for info in threadpool_info()
            if info["user_api"] == "blas"
        )

    before = blas_threads()
    barrier = threading.Barrier(4)

    def fit():
        barrier.wait(timeout=30)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # a fixed budget
            SoftLabelClassifier(max_iter=40, tol=0.0).fit(X_IRIS, Y_IRIS)

    threads = [threading.Thread(target=fit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert blas_threads() == before


# ------------------------------------------------------------ targets (5, 8, 12, 17)
@pytest.mark.parametrize("bad", [None, "nan"])
def test_none_or_nan_strings_in_2d_y_are_refused(bad):
    Y = RNG.dirichlet(np.ones(3), size=40).astype(object)
    Y[0, 0] = bad
    with pytest.raises(ValueError, match="NaN"):
        SoftLabelClassifier().fit(X, Y)


def test_classes_that_name_other_labels_read_01_floats_as_probabilities():
    y = np.round(P)
    clf = SoftLabelClassifier(classes=["neg", "pos"]).fit(X, y)
    assert clf.classes_.tolist() == ["neg", "pos"]
    reference = SoftLabelClassifier().fit(X, y.astype(int))
    np.testing.assert_allclose(clf.coef_, reference.coef_, rtol=1e-12)
    assert clf.score(X, y) == reference.score(X, y.astype(int))


def test_numpy_true_multilabel_is_not_ignored_for_1d_y():
    with pytest.raises(ValueError, match="multilabel=True needs 2-D targets"):
        SoftLabelClassifier(loss="bce", multilabel=np.True_).fit(X, Y_BINARY)


def test_a_single_label_column_with_multilabel_true_is_one_label():
    clf = SoftLabelClassifier(loss="bce", multilabel=True).fit(X, Y_BINARY[:, None])
    assert clf.target_type_ == "multilabel"
    assert clf.predict(X).shape == (40, 1)
    assert clf.predict_proba(X).shape == (40, 1)


# ---------------------------------------------------------- predictions (6, 9, 21)
def test_float32_probabilities_sum_to_one_and_score():
    X32 = (X_IRIS * 300).astype(np.float32)  # unscaled: logits in the thousands
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # a fixed budget
        clf = SoftLabelClassifier(
            hidden_layer_sizes=(20,), alpha=1e-6, max_iter=300, random_state=0
        ).fit(X32, Y_IRIS)
    proba = clf.predict_proba(X32)
    assert proba.dtype == np.float32
    # Normalised in float64, then rounded once to float32: K roundings of 2**-24.
    assert np.abs(proba.sum(axis=1, dtype=np.float64) - 1).max() <= 3 * 2.0**-24
    assert np.isfinite(get_scorer("neg_soft_log_loss")(clf, X32, Y_IRIS))


def test_float32_model_on_overflowing_float64_x_raises():
    clf = SoftLabelClassifier().fit(X.astype(np.float32), Y_BINARY)
    with pytest.raises(ValueError, match="overflow float32"):
        clf.predict_proba(X * 1e39)


def test_binary_cce_coef_cannot_be_written_in_vain():
    clf = SoftLabelClassifier().fit(X, Y_BINARY)
    with pytest.raises(ValueError, match="read-only"):
        clf.coef_[:] = 0
    writable = SoftLabelClassifier(loss="bce").fit(X, Y_BINARY)
    writable.coef_[:] = 0  # a view of coefs_: the write reaches the model
    assert np.all(writable.decision_function(X) == writable.intercept_)


# --------------------------------------------------------- weights and alpha (10)
@pytest.mark.parametrize(
    "params, fit_params, match",
    [
        ({}, {"sample_weight": np.full(40, 1e308)}, "sample_weight sums to infinity"),
        ({"alpha": 1e308}, {"sample_weight": np.full(40, 1e-3)}, "alpha / sum"),
        ({}, {"sample_weight": np.full(40, 5e-324)}, "alpha / sum"),
        ({}, {"sample_weight": np.inf}, "sample_weight must be finite"),
        ({}, {"sample_weight": np.nan}, "sample_weight must be finite"),
        ({"class_weight": {0: 1e308, 1: 1e308}}, {}, "times class_weight sums to inf"),
    ],
)
def test_weight_overflow_is_named(params, fit_params, match):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning before the error
        with pytest.raises(ValueError, match=match):
            SoftLabelClassifier(**params).fit(X, Y_BINARY, **fit_params)


# ------------------------------------------------------------ solver_options (11)
@pytest.mark.parametrize(
    "solver, options, match",
    [
        ("trust-ncg", {"max_trust_radius": 0}, "max trust radius must be positive"),
        ("L-BFGS-B", {"maxls": 10**12}, "OverflowError"),
        ("BFGS", {"hess_inv0": np.eye(3)}, r"hess_inv0'\] must have shape \(8, 8\)"),
        ("L-BFGS-B", {"callback": lambda: None}, "must accept one argument"),
        ("L-BFGS-B", {"maxcor": 0}, r"maxcor'\] must be a positive integer"),
    ],
)
def test_solver_options_are_refused_before_fitting(solver, options, match):
    clf = SoftLabelClassifier(solver=solver, solver_options=options)
    with pytest.raises(ValueError, match=match):
        clf.fit(X, Y_BINARY)  # binary CCE, 3 features: 8 parameters
    assert not hasattr(clf, "coefs_")


def test_trust_ncg_on_hopelessly_scaled_data_returns_with_a_warning():
    with pytest.warns(ConvergenceWarning, match="inner conjugate-gradient loop"):
        clf = SoftLabelClassifier(solver="trust-ncg", max_iter=30).fit(
            X * 1e100, Y_BINARY
        )
    assert all(np.all(np.isfinite(c)) for c in clf.coefs_)


# ---------------------------------------------------------- parameters (13, 15)
@pytest.mark.parametrize(
    "classes, match",
    [([1, "a"], "classes mixes strings"), ([[1], [2]], "1-D sequence")],
)
def test_bad_classes_are_named(classes, match):
    with pytest.raises(ValueError, match=match):
        SoftLabelClassifier(classes=classes).fit(X, Y_BINARY)


@pytest.mark.parametrize("sizes", [np.array(5), (2**64,), (3, 0)])
def test_bad_hidden_layer_sizes_are_named(sizes):
    if np.ndim(sizes) == 0:  # a 0-d array is one layer, as an int is
        assert (
            SoftLabelClassifier(hidden_layer_sizes=sizes, max_iter=500)
            .fit(X, Y_BINARY)
            .n_layers_
            == 3
        )
        return
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        SoftLabelClassifier(hidden_layer_sizes=sizes).fit(X, Y_BINARY)


def test_warm_start_message_names_what_differs():
    # Same classes [0, 1], another kind of targets: the message says which.
    clf = SoftLabelClassifier("bce", warm_start=True).fit(X, Y_BINARY)
    Y = (RNG.uniform(size=(40, 2)) > 0.5).astype(float)
    Y[0] = 1  # a row that does not sum to 1: multi-label
    with pytest.raises(ValueError, match="read as multilabel targets, but the model"):
        clf.fit(X, Y)


# ------------------------------------------------------------------ errstate (19)
def test_fits_and_predictions_run_under_errstate_raise():
    with np.errstate(all="raise"):
        clf = SoftLabelClassifier(
            hidden_layer_sizes=(10,), max_iter=1000, random_state=0
        ).fit(X * 30, Y_BINARY)
        proba = clf.predict_proba(X * 30)
    assert np.all(np.isfinite(proba))
