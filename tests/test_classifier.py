"""Behaviour of SoftLabelClassifier: targets, outputs, solvers, options, attributes."""

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.datasets import (
    load_iris,
    make_classification,
    make_multilabel_classification,
)
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.preprocessing import StandardScaler

from sksoftce import SoftLabelClassifier
from sksoftce._losses import LOSSES
from sksoftce._networks import Network
from sksoftce._objective import Objective


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _soft(y, n_classes, seed=0):
    """Dirichlet-perturbed one-hot targets: rows are distributions, argmax = y."""
    rng = np.random.default_rng(seed)
    noise = rng.dirichlet(np.ones(n_classes), size=y.shape[0])
    return 0.6 * np.eye(n_classes)[y] + 0.4 * noise


# ------------------------------------------------------------------- target kinds
def test_string_labels_round_trip(iris):
    X, y = iris
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    clf = SoftLabelClassifier().fit(X, names)
    np.testing.assert_array_equal(clf.classes_, ["setosa", "versicolor", "virginica"])
    # The names come back in place of the indices of the most probable class.
    np.testing.assert_array_equal(
        clf.predict(X), clf.classes_[clf.predict_proba(X).argmax(axis=1)]
    )
    assert clf.score(X, names) > 0.9
    assert clf.target_type_ == "multiclass"


def test_bool_labels_are_binary():
    X, y = make_classification(n_samples=80, n_features=4, random_state=0)
    clf = SoftLabelClassifier().fit(X, y.astype(bool))
    np.testing.assert_array_equal(clf.classes_, [False, True])
    assert clf.predict(X).dtype == bool
    assert clf.predict_proba(X).shape == (80, 2)


def test_soft_binary_targets():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 3))
    p = 1 / (1 + np.exp(-(X @ [1.0, -2.0, 0.5])))
    for loss in ["cce", "bce"]:
        clf = SoftLabelClassifier(loss=loss, alpha=0.0, tol=1e-10).fit(X, p)
        np.testing.assert_array_equal(clf.classes_, [0, 1])
        assert clf.target_type_ == "binary"
        # Targets produced by a logistic model are recovered exactly by it.
        np.testing.assert_allclose(clf.predict_proba(X)[:, 1], p, atol=1e-5)
        assert clf.decision_function(X).shape == (100,)


def test_probability_matrix_with_class_names(iris):
    X, y = iris
    Y = _soft(y, 3)
    clf = SoftLabelClassifier(classes=["a", "b", "c"]).fit(X, Y)
    np.testing.assert_array_equal(clf.classes_, ["a", "b", "c"])
    assert clf.target_type_ == "multiclass"
    np.testing.assert_array_equal(
        clf.predict(X), np.array(["a", "b", "c"])[clf.predict_proba(X).argmax(axis=1)]
    )
    default = SoftLabelClassifier().fit(X, Y)
    np.testing.assert_array_equal(default.classes_, [0, 1, 2])
    np.testing.assert_allclose(default.predict_proba(X), clf.predict_proba(X))


def test_classes_may_name_labels_absent_from_y(iris):
    X, y = iris
    keep = y < 2
    clf = SoftLabelClassifier(classes=[0, 1, 2]).fit(X[keep], y[keep])
    assert clf.predict_proba(X).shape == (150, 3)
    assert clf.predict_proba(X)[:, 2].max() < 0.05  # never seen: low probability


def test_rows_that_do_not_sum_to_one_are_multilabel():
    X, Y = make_multilabel_classification(n_samples=100, n_classes=4, random_state=0)
    X = StandardScaler().fit_transform(X)
    clf = SoftLabelClassifier(loss="bce").fit(X, Y)
    assert clf.target_type_ == "multilabel"
    assert clf.predict(X).shape == (100, 4)
    proba = clf.predict_proba(X)
    assert proba.shape == (100, 4)
    # Independent marginals, not a distribution over labels.
    assert not np.allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(clf.predict(X), (proba > 0.5).astype(int))
    # Subset accuracy: a row counts when every label is right.
    subset_accuracy = np.mean(np.all(clf.predict(X) == Y, axis=1))
    assert clf.score(X, Y) == pytest.approx(subset_accuracy)
    assert subset_accuracy < np.mean(clf.predict(X) == Y)  # not per-label accuracy


def test_soft_multilabel_marginals():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    M = 1 / (1 + np.exp(-(X @ rng.normal(size=(3, 2)))))
    clf = SoftLabelClassifier(loss="bce", alpha=0.0, tol=1e-10).fit(X, M)
    assert clf.target_type_ == "multilabel"
    np.testing.assert_allclose(clf.predict_proba(X), M, atol=1e-5)


def test_multilabel_parameter_forces_the_reading():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    onehot = np.eye(3)[rng.integers(3, size=60)]  # rows sum to 1: ambiguous
    auto = SoftLabelClassifier(loss="bce").fit(X, onehot)
    assert auto.target_type_ == "multiclass"
    forced = SoftLabelClassifier(loss="bce", multilabel=True).fit(X, onehot)
    assert forced.target_type_ == "multilabel"
    assert forced.predict(X).shape == (60, 3)
    with pytest.raises(ValueError, match="multilabel=False"):
        SoftLabelClassifier(multilabel=False).fit(X, onehot * 0.5)


def test_column_vector_y_warns_and_is_raveled(iris):
    X, y = iris
    with pytest.warns(DataConversionWarning, match="column-vector y"):
        clf = SoftLabelClassifier().fit(X, y[:, None])
    np.testing.assert_array_equal(
        clf.predict(X), SoftLabelClassifier().fit(X, y).predict(X)
    )


# -------------------------------------------------------------------- predictions
def test_bce_multiclass_proba_is_normalised_sigmoids(iris):
    X, y = iris
    clf = SoftLabelClassifier(loss="bce").fit(X, y)
    sigmoids = 1 / (1 + np.exp(-clf.decision_function(X)))
    np.testing.assert_allclose(
        clf.predict_proba(X), sigmoids / sigmoids.sum(axis=1, keepdims=True), rtol=1e-12
    )


@pytest.mark.parametrize("loss", ["cce", "bce"])
@pytest.mark.parametrize("hidden", [(), (6,)])
def test_log_proba_is_log_of_proba_and_stable(iris, loss, hidden):
    X, y = iris
    clf = SoftLabelClassifier(
        loss=loss, hidden_layer_sizes=hidden, random_state=0, max_iter=1000
    ).fit(X, y)
    np.testing.assert_allclose(
        np.log(clf.predict_proba(X)), clf.predict_log_proba(X), rtol=1e-10
    )
    far = X[:3] * 1e6  # logits of ~1e6: proba saturates, log-proba stays finite
    assert np.all(np.isfinite(clf.predict_log_proba(far)))
    np.testing.assert_allclose(clf.predict_proba(far).sum(axis=1), 1.0)


def test_binary_cce_coef_is_the_difference_of_the_two_units():
    X, y = make_classification(n_samples=80, n_features=4, random_state=0)
    clf = SoftLabelClassifier().fit(X, y)
    W, b = clf.coefs_[0], clf.intercepts_[0]
    np.testing.assert_allclose(clf.coef_, (W[:, 1] - W[:, 0])[None, :])
    np.testing.assert_allclose(clf.intercept_, [b[1] - b[0]])
    np.testing.assert_allclose(
        clf.decision_function(X), X @ clf.coef_[0] + clf.intercept_[0]
    )


def test_mlp_has_no_coef_(iris):
    X, y = iris
    clf = SoftLabelClassifier(hidden_layer_sizes=(5,), random_state=0).fit(X, y)
    assert [c.shape for c in clf.coefs_] == [(4, 5), (5, 3)]
    assert [b.shape for b in clf.intercepts_] == [(5,), (3,)]
    assert not hasattr(clf, "coef_")
    with pytest.raises(AttributeError, match="linear models only"):
        _ = clf.intercept_


def test_score_on_soft_targets_is_argmax_accuracy(iris):
    X, y = iris
    clf = SoftLabelClassifier().fit(X, _soft(y, 3))
    Y = _soft(y, 3, seed=1)
    expected = np.mean(clf.predict(X) == Y.argmax(axis=1))
    assert clf.score(X, Y) == pytest.approx(expected)
    assert clf.score(X, y) == pytest.approx(np.mean(clf.predict(X) == y))


def test_grid_search_without_scoring_works_on_soft_targets(iris):
    X, y = iris
    search = GridSearchCV(
        SoftLabelClassifier(),
        {"alpha": [0.1, 10.0]},
        cv=KFold(3, shuffle=True, random_state=0),
    ).fit(X, _soft(y, 3))
    assert search.best_score_ > 0.8


# ---------------------------------------------------------- solvers and options
@pytest.mark.parametrize(
    "solver", ["L-BFGS-B", "BFGS", "CG", "Newton-CG", "trust-ncg", "trust-krylov"]
)
@pytest.mark.parametrize("loss", ["cce", "bce"])
def test_every_solver_reaches_the_same_linear_model(iris, solver, loss):
    X, y = iris
    reference = SoftLabelClassifier(loss=loss, solver="trust-ncg", tol=1e-8).fit(X, y)
    clf = SoftLabelClassifier(loss=loss, solver=solver, tol=1e-7, max_iter=2000).fit(
        X, y
    )
    np.testing.assert_allclose(
        clf.predict_proba(X), reference.predict_proba(X), atol=1e-5
    )
    assert clf.loss_ == pytest.approx(reference.loss_, rel=1e-9)


@pytest.mark.parametrize("solver", ["L-BFGS-B", "BFGS", "CG"])
def test_gradient_solvers_fit_an_mlp(iris, solver):
    X, y = iris
    # tol=1e-3, a gradient norm all three reach: CG's line search loses precision
    # before the default 1e-4 on this MLP (status 2, a ConvergenceWarning).
    clf = SoftLabelClassifier(
        hidden_layer_sizes=(8,), solver=solver, max_iter=500, tol=1e-3, random_state=0
    ).fit(X, y)
    assert clf.loss_ < clf.loss_curve_[0] / 5
    assert clf.score(X, y) > 0.95


def test_loss_curve_records_every_iteration(iris):
    X, y = iris
    clf = SoftLabelClassifier(hidden_layer_sizes=(8,), random_state=0).fit(X, y)
    assert len(clf.loss_curve_) == clf.n_iter_ + 1
    assert clf.loss_curve_[-1] == pytest.approx(clf.loss_)
    assert np.all(np.diff(clf.loss_curve_) <= 1e-12)  # L-BFGS-B only accepts descent


def test_max_iter_stops_with_a_convergence_warning(iris):
    X, y = iris
    with pytest.warns(ConvergenceWarning, match="did not converge") as record:
        clf = SoftLabelClassifier(
            hidden_layer_sizes=(8,), max_iter=3, random_state=0
        ).fit(X, y)
    assert len(record) == 1
    assert clf.n_iter_ == 3
    assert clf.optimize_result_.status == 1  # L-BFGS-B: iteration limit
    assert clf.predict(X).shape == (150,)  # still a usable model


def test_converged_fit_does_not_warn(iris):
    X, y = iris
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clf = SoftLabelClassifier().fit(X, y)
    assert clf.optimize_result_.success


def test_solver_options_are_passed_through(iris):
    X, y = iris
    with pytest.warns(ConvergenceWarning):
        clf = SoftLabelClassifier(solver_options={"maxfun": 2}).fit(X, y)
    assert clf.optimize_result_.nfev <= 3


def test_verbose_prints_one_line_per_iteration(iris, capsys):
    X, y = iris
    clf = SoftLabelClassifier(verbose=1).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == clf.n_iter_
    assert lines[0].startswith("Iteration 1, objective = ")


def test_silent_unless_verbose(iris, capsys):
    X, y = iris
    SoftLabelClassifier(hidden_layer_sizes=(4,), random_state=0).fit(X, y)
    assert capsys.readouterr() == ("", "")


def test_random_state_makes_mlp_fits_reproducible(iris):
    X, y = iris
    a = SoftLabelClassifier(hidden_layer_sizes=(6,), random_state=1, max_iter=50)
    b = clone(a)
    c = clone(a).set_params(random_state=2)
    with warnings.catch_warnings():
        # A fixed budget of 50 iterations: reproducibility holds at any iterate.
        warnings.simplefilter("ignore", ConvergenceWarning)
        pa, pb, pc = (m.fit(X, y).predict_proba(X) for m in (a, b, c))
    np.testing.assert_array_equal(pa, pb)
    assert not np.allclose(pa, pc)


def test_warm_start_continues_from_the_previous_fit(iris):
    X, y = iris
    kwargs = dict(hidden_layer_sizes=(6,), random_state=0, max_iter=20)
    with warnings.catch_warnings():
        # Fixed budgets of 20 iterations, short of convergence on purpose: the warm
        # fit must have room to improve on the first one.
        warnings.simplefilter("ignore", ConvergenceWarning)
        warm = SoftLabelClassifier(warm_start=True, **kwargs).fit(X, y)
        first = warm.loss_
        warm.fit(X, y)
        cold = SoftLabelClassifier(**kwargs).fit(X, y)
    assert warm.loss_curve_[0] == pytest.approx(first)  # started where it stopped
    assert warm.loss_ < cold.loss_
    with pytest.raises(ValueError, match="same classes"):
        warm.fit(X[y < 2], y[y < 2])


def test_label_smoothing_matches_smoothed_targets(iris):
    X, y = iris
    eps = 0.2
    for loss, share in [("cce", eps / 3), ("bce", eps / 2)]:
        smoothed = SoftLabelClassifier(loss=loss, label_smoothing=eps).fit(X, y)
        Y = (1 - eps) * np.eye(3)[y] + share
        manual = SoftLabelClassifier(loss=loss, multilabel=loss == "bce").fit(X, Y)
        np.testing.assert_allclose(
            smoothed.coefs_[0], manual.coefs_[0], rtol=1e-6, atol=1e-8
        )


def test_class_weight_for_soft_targets_is_the_expected_weight(iris):
    X, y = iris
    Y = _soft(y, 3)
    cw = {0: 3.0, 1: 1.0, 2: 0.5}
    weighted = SoftLabelClassifier(class_weight=cw, solver="trust-ncg", tol=1e-8).fit(
        X, Y
    )
    per_row = Y @ np.array([3.0, 1.0, 0.5])
    manual = SoftLabelClassifier(solver="trust-ncg", tol=1e-8).fit(
        X, Y, sample_weight=per_row
    )
    np.testing.assert_allclose(weighted.coef_, manual.coef_, rtol=1e-6, atol=1e-8)


# --------------------------------------------------------------- data and dtypes
@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("hidden", [(), (5,)])
def test_sparse_equals_dense(iris, fmt, hidden):
    """Same objective up to rounding, so the same first iterations (a long non-convex
    run would let rounding differences grow)."""
    X, y = iris
    kwargs = dict(hidden_layer_sizes=hidden, random_state=0, max_iter=15)
    with warnings.catch_warnings():
        # A fixed budget of 15 iterations, short of convergence on purpose (above).
        warnings.simplefilter("ignore", ConvergenceWarning)
        dense = SoftLabelClassifier(**kwargs).fit(X, y)
        sparse = SoftLabelClassifier(**kwargs).fit(sp.csr_matrix(X).asformat(fmt), y)
    np.testing.assert_allclose(
        sparse.predict_proba(sp.csr_matrix(X)),
        dense.predict_proba(X),
        rtol=1e-6,
        atol=1e-8,
    )


# Float32 against float64 probabilities. Both fits start from the same point and take
# the same L-BFGS-B steps; they differ only by float32 rounding of X and of every
# evaluation (float32 eps = 1.2e-7). Linear (convex, 17 steps): measured 2.5e-7, about
# two float32 eps; atol 1e-6 (8 eps) leaves a factor 4. MLP (non-convex, 92 steps):
# rounding differences grow along the path, measured 1.6e-3; atol 5e-3 leaves a
# factor 3. (The former atol of 2e-2 was 80,000 times the linear model's error.)
@pytest.mark.parametrize("hidden, atol", [((), 1e-6), ((8,), 5e-3)])
def test_float32_stays_float32(iris, hidden, atol):
    X, y = iris
    X32 = X.astype(np.float32)
    params = dict(hidden_layer_sizes=hidden, random_state=0, max_iter=500)
    clf = SoftLabelClassifier(**params).fit(X32, y)
    assert all(c.dtype == np.float32 for c in clf.coefs_ + clf.intercepts_)
    assert clf.predict_proba(X32).dtype == np.float32
    ref = SoftLabelClassifier(**params).fit(X, y)
    np.testing.assert_allclose(clf.predict_proba(X32), ref.predict_proba(X), atol=atol)


def test_dataframe_sets_feature_names(iris):
    pd = pytest.importorskip("pandas")
    X, y = iris
    df = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    clf = SoftLabelClassifier().fit(df, y)
    np.testing.assert_array_equal(clf.feature_names_in_, ["a", "b", "c", "d"])
    assert clf.n_features_in_ == 4


def test_pickle_round_trip(iris):
    X, y = iris
    clf = SoftLabelClassifier(hidden_layer_sizes=(5,), random_state=0).fit(X, y)
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict_proba(X), clf.predict_proba(X))


def test_mlp_objective_with_integer_weights_equals_repeated_rows():
    """What check_sample_weight_equivalence tests, at the level of the objective."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 5))
    T = rng.dirichlet(np.ones(3), size=40)
    counts = rng.integers(0, 4, size=40)
    network = Network([5, 7, 3], "tanh")
    theta = network.initial_parameters(0)
    alpha = 0.5
    weighted = Objective(
        network, LOSSES["cce"], X, T, counts / counts.sum(), alpha / counts.sum()
    )
    Xr, Tr = np.repeat(X, counts, axis=0), np.repeat(T, counts, axis=0)
    n = counts.sum()
    repeated = Objective(network, LOSSES["cce"], Xr, Tr, np.full(n, 1 / n), alpha / n)
    (fw, gw), (fr, gr) = weighted(theta), repeated(theta)
    assert fw == pytest.approx(fr, rel=1e-12)
    np.testing.assert_allclose(gw, gr, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("change", [{"loss": "bce"}, {"activation": "tanh"}])
def test_prediction_reads_fitted_state_only(change):
    X, y = load_iris(return_X_y=True)
    clf = SoftLabelClassifier(hidden_layer_sizes=(5,), random_state=0, max_iter=500)
    clf.fit(StandardScaler().fit_transform(X), y)
    Xs = StandardScaler().fit_transform(X)
    before = clf.predict_proba(Xs)
    clf.set_params(**change)
    np.testing.assert_array_equal(clf.predict_proba(Xs), before)
    np.testing.assert_allclose(before.sum(axis=1), 1.0, rtol=1e-12)


def test_lbfgs_is_the_spelling_of_l_bfgs_b():
    X, y = load_iris(return_X_y=True)
    a = SoftLabelClassifier(solver="lbfgs", max_iter=500).fit(X, y)
    b = SoftLabelClassifier(solver="L-BFGS-B", max_iter=500).fit(X, y)
    np.testing.assert_array_equal(a.coef_, b.coef_)
