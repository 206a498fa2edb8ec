"""The mini-batch solvers: updates, unbiased batch estimates, partial_fit, early
stopping."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network._stochastic_optimizers import (
    AdamOptimizer as SklearnAdam,
)
from sklearn.neural_network._stochastic_optimizers import (
    SGDOptimizer as SklearnSGD,
)
from sklearn.preprocessing import StandardScaler

from sksoftce import MixupTransformer, SoftLabelClassifier
from sksoftce._losses import LOSSES
from sksoftce._mixup import TrainingMixer
from sksoftce._networks import Network
from sksoftce._objective import Objective
from sksoftce._stochastic_solver import AdamOptimizer, SGDOptimizer
from sksoftce.metrics import soft_log_loss

X_IRIS, Y_IRIS = load_iris(return_X_y=True)
X_IRIS = StandardScaler().fit_transform(X_IRIS)
RNG = np.random.default_rng(0)


def _unconverged(clf, X, y, **kwargs):
    """Fit with a ConvergenceWarning expected (a fixed number of epochs)."""
    with pytest.warns(ConvergenceWarning):
        return clf.fit(X, y, **kwargs)


# ----------------------------------------------------------------- optimizers
@pytest.mark.parametrize("nesterov", [True, False])
@pytest.mark.parametrize("schedule", ["constant", "invscaling"])
def test_sgd_updates_equal_sklearn(nesterov, schedule):
    shapes = [(4, 3), (3,)]
    params = [RNG.normal(size=s) for s in shapes]
    theirs = SklearnSGD(
        [p.copy() for p in params], 0.1, schedule, 0.9, nesterov, power_t=0.5
    )
    sklearn_params = [p.copy() for p in params]
    ours = SGDOptimizer(np.zeros(15), 0.1, schedule, 0.9, nesterov, 0.5)
    flat = np.concatenate([p.ravel() for p in params])
    for step in range(5):
        grads = [RNG.normal(size=s) for s in shapes]
        theirs.update_params(sklearn_params, grads)
        ours.update(flat, np.concatenate([g.ravel() for g in grads]))
        theirs.iteration_ends(10 * (step + 1))
        ours.iteration_ends(10 * (step + 1))
    np.testing.assert_allclose(
        flat, np.concatenate([p.ravel() for p in sklearn_params]), rtol=1e-14
    )
    assert ours.learning_rate == theirs.learning_rate


def test_adam_updates_equal_sklearn():
    shapes = [(4, 3), (3,)]
    params = [RNG.normal(size=s) for s in shapes]
    theirs = SklearnAdam([p.copy() for p in params], 0.01, 0.9, 0.999, 1e-8)
    sklearn_params = [p.copy() for p in params]
    ours = AdamOptimizer(np.zeros(15), 0.01, 0.9, 0.999, 1e-8)
    flat = np.concatenate([p.ravel() for p in params])
    for _ in range(7):
        grads = [RNG.normal(size=s) for s in shapes]
        theirs.update_params(sklearn_params, grads)
        ours.update(flat, np.concatenate([g.ravel() for g in grads]))
    np.testing.assert_allclose(
        flat, np.concatenate([p.ravel() for p in sklearn_params]), rtol=1e-13
    )


def test_adaptive_schedule_divides_by_five_then_stops():
    sgd = SGDOptimizer(np.zeros(2), 1e-4, "adaptive", 0.9, True, 0.5)
    assert not sgd.trigger_stopping("msg", verbose=False)
    assert sgd.learning_rate == pytest.approx(2e-5)
    assert not sgd.trigger_stopping("msg", verbose=False)
    assert not sgd.trigger_stopping("msg", verbose=False)  # 8e-7 now
    assert sgd.trigger_stopping("msg", verbose=False)


def test_optimizer_state_keeps_float32():
    theta = np.zeros(6, dtype=np.float32)
    for optimizer in (
        AdamOptimizer(theta, 0.01, 0.9, 0.999, 1e-8),
        SGDOptimizer(theta, 0.01, "constant", 0.9, True, 0.5),
    ):
        optimizer.update(theta, np.ones(6, dtype=np.float32))
        assert theta.dtype == np.float32
        assert all(
            array.dtype == np.float32
            for array in vars(optimizer).values()
            if isinstance(array, np.ndarray)
        )


# ------------------------------------------------------ unbiased batch estimates
@pytest.mark.parametrize("hidden", [(), (5,)])
@pytest.mark.parametrize("loss", ["cce", "bce"])
def test_batch_estimates_average_to_the_full_objective(loss, hidden):
    # Batches that partition the rows, each weighted by its share q_B, sum to the
    # full-data value and gradient: the estimate is unbiased for a uniform draw.
    n, d, K = 53, 4, 3
    X = RNG.normal(size=(n, d))
    Y = RNG.dirichlet(np.ones(K), size=n)
    w = RNG.uniform(0.2, 3.0, size=n)
    network = Network([d, *hidden, K], "tanh")
    objective = Objective(network, LOSSES[loss], X, Y, w, 0.7, max_batch_rows=10)
    full = Objective(network, LOSSES[loss], X, Y, w, 0.7)
    theta = RNG.normal(size=network.n_params)
    value, gradient = full(theta)
    total_value, total_gradient = 0.0, np.zeros_like(theta)
    grad = np.empty_like(theta)
    for start in range(0, n, 10):
        rows = slice(start, min(start + 10, n))
        q = (rows.stop - rows.start) / n
        batch_value = objective.batch_loss_gradient(
            theta, X[rows], Y[rows], w[rows], grad, q
        )
        total_value += q * batch_value
        total_gradient += q * grad
    np.testing.assert_allclose(total_value, value, rtol=1e-13)
    np.testing.assert_allclose(total_gradient, gradient, rtol=1e-12, atol=1e-15)


def test_batch_value_without_gradient_is_the_same_estimate():
    network = Network([4, 3], "relu")
    X, Y, w = RNG.normal(size=(20, 4)), RNG.dirichlet(np.ones(3), size=20), np.ones(20)
    objective = Objective(network, LOSSES["cce"], X, Y, w, 1.0, max_batch_rows=20)
    theta = RNG.normal(size=network.n_params)
    grad = np.empty_like(theta)
    with_gradient = objective.batch_loss_gradient(theta, X, Y, w, grad, 0.5)
    assert objective.batch_loss_gradient(theta, X, Y, w, None, 0.5) == with_gradient


# ---------------------------------------------------- convex problem: same optimum
@pytest.mark.parametrize("loss", ["cce", "bce"])
def test_adam_reaches_the_lbfgs_optimum_of_a_linear_model(loss):
    X, y = X_IRIS, Y_IRIS
    reference = SoftLabelClassifier(loss, alpha=1.0, tol=1e-10, max_iter=1000).fit(X, y)
    adam = _unconverged(
        SoftLabelClassifier(
            loss,
            alpha=1.0,
            solver="adam",
            learning_rate_init=0.01,
            batch_size=32,
            max_iter=400,
            n_iter_no_change=np.inf,
            random_state=0,
        ),
        X,
        y,
    )
    # The objective of the adam solution, evaluated on all rows.
    network = Network([4, adam.n_outputs_], "relu")
    head = LOSSES[loss]
    targets = head.output_targets(np.eye(3)[y], "multiclass")
    objective = Objective(network, head, X, targets, np.ones(150), 1.0)
    adam_value = objective(network.pack(adam.coefs_, adam.intercepts_))[0]
    assert abs(adam_value - reference.loss_) <= 1e-3 * reference.loss_
    assert adam_value >= reference.loss_ - 1e-12  # L-BFGS-B's is the minimum


# ------------------------------------------------------------------ partial_fit
@pytest.mark.parametrize("solver", ["adam", "sgd"])
@pytest.mark.parametrize("shuffle", [False, True])
def test_partial_fit_epochs_equal_fit(solver, shuffle):
    params = dict(
        hidden_layer_sizes=(6,),
        solver=solver,
        alpha=1e-3,
        shuffle=shuffle,
        batch_size=32,
        learning_rate_init=0.01,
        n_iter_no_change=np.inf,
        random_state=0,
    )
    fitted = _unconverged(SoftLabelClassifier(max_iter=7, **params), X_IRIS, Y_IRIS)
    incremental = SoftLabelClassifier(**params)
    for _ in range(7):
        incremental.partial_fit(X_IRIS, Y_IRIS, classes=[0, 1, 2])
    fitted_params = fitted.coefs_ + fitted.intercepts_
    incremental_params = incremental.coefs_ + incremental.intercepts_
    for a, b in zip(fitted_params, incremental_params, strict=True):
        np.testing.assert_array_equal(a, b)
    assert incremental.t_ == fitted.t_ == 7 * 150
    np.testing.assert_array_equal(incremental.loss_curve_, fitted.loss_curve_)
    assert incremental.n_iter_ == 1 and fitted.n_iter_ == 7


def test_partial_fit_over_chunks_equals_fit_on_the_same_batches():
    # Without the penalty (whose scale is the weight of the rows of each call) and
    # with unit weights, a batch's step depends on its rows only: chunks of whole
    # batches given to partial_fit take the steps fit takes on the same batches.
    params = dict(
        hidden_layer_sizes=(5,), solver="adam", alpha=0.0, shuffle=False,
        batch_size=25, learning_rate_init=0.01, random_state=0,
    )  # fmt: skip
    fitted = _unconverged(SoftLabelClassifier(max_iter=1, **params), X_IRIS, Y_IRIS)
    incremental = SoftLabelClassifier(**params)
    for chunk in np.split(np.arange(150), [50, 75, 150]):
        if chunk.size:
            incremental.partial_fit(X_IRIS[chunk], Y_IRIS[chunk], classes=[0, 1, 2])
    for a, b in zip(fitted.coefs_, incremental.coefs_, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_partial_fit_penalty_is_that_of_the_rows_given():
    # One partial_fit call on rows R is one epoch on R's objective: with a single
    # batch covering R, the step is plain gradient descent on that objective.
    X, y = X_IRIS[:40], Y_IRIS[:40]
    clf = SoftLabelClassifier(
        solver="sgd", momentum=0.0, learning_rate_init=0.1, alpha=2.0, batch_size=40
    ).partial_fit(X, y, classes=[0, 1, 2])
    network = Network([4, 3], "relu")
    objective = Objective(network, LOSSES["cce"], X, np.eye(3)[y], np.ones(40), 2.0)
    _, gradient = objective(np.zeros(network.n_params))
    np.testing.assert_allclose(
        network.pack(clf.coefs_, clf.intercepts_), -0.1 * gradient, rtol=1e-13
    )


def test_partial_fit_accepts_chunks_without_every_class():
    clf = SoftLabelClassifier(solver="adam", random_state=0)
    clf.partial_fit(X_IRIS[:50], Y_IRIS[:50], classes=[0, 1, 2])
    assert clf.classes_.tolist() == [0, 1, 2]
    assert clf.predict_proba(X_IRIS[:2]).shape == (2, 3)


def test_partial_fit_takes_the_classes_parameter_or_2d_width():
    by_param = SoftLabelClassifier(solver="adam", classes=[0, 1, 2])
    by_param.partial_fit(X_IRIS[:10], Y_IRIS[:10])
    assert by_param.classes_.tolist() == [0, 1, 2]
    soft = SoftLabelClassifier(solver="sgd").partial_fit(
        X_IRIS[:10], RNG.dirichlet(np.ones(4), size=10)
    )
    assert soft.classes_.tolist() == [0, 1, 2, 3]


def test_partial_fit_keeps_a_multilabel_reading():
    Y = (RNG.uniform(size=(20, 3)) > 0.5).astype(float)
    Y[0] = [1, 1, 0]
    clf = SoftLabelClassifier("bce", solver="adam").partial_fit(X_IRIS[:20], Y)
    one_hot_chunk = np.eye(3)[[0, 1, 2, 0, 1]]  # rows sum to 1: still multi-label
    clf.partial_fit(X_IRIS[:5], one_hot_chunk)
    assert clf.target_type_ == "multilabel"


def test_partial_fit_after_fit_continues():
    clf = SoftLabelClassifier(hidden_layer_sizes=(4,), solver="adam", random_state=0)
    _unconverged(clf.set_params(max_iter=3), X_IRIS, Y_IRIS)
    before = [c.copy() for c in clf.coefs_]
    t_before = clf.t_
    clf.partial_fit(X_IRIS, Y_IRIS)
    assert clf.t_ == t_before + 150
    assert not np.array_equal(before[0], clf.coefs_[0])


# ------------------------------------------------------------------- early stopping
def test_early_stopping_scores_the_stratified_hold_out_with_soft_log_loss():
    clf = SoftLabelClassifier(
        solver="adam", early_stopping=True, learning_rate_init=0.05, random_state=0
    ).fit(X_IRIS, Y_IRIS)
    # A linear model draws nothing for its initialisation: the split comes first.
    _, held_out = train_test_split(
        np.arange(150), test_size=0.1, stratify=Y_IRIS, random_state=0
    )
    expected = -soft_log_loss(
        Y_IRIS[held_out], clf.predict_proba(X_IRIS[held_out]), labels=[0, 1, 2]
    )
    assert clf.best_validation_score_ == pytest.approx(expected, rel=1e-12)
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert len(clf.validation_scores_) == clf.n_iter_
    assert clf.best_loss_ is None
    assert np.bincount(Y_IRIS[held_out]).tolist() == [5, 5, 5]


def test_early_stopping_holds_out_rows_before_any_mixing(monkeypatch):
    seen = []
    original = TrainingMixer.__call__

    def spy(self, X, targets, sample_weight, rng):
        seen.append(np.array(X))
        return original(self, X, targets, sample_weight, rng)

    monkeypatch.setattr(TrainingMixer, "__call__", spy)
    clf = SoftLabelClassifier(
        solver="adam",
        early_stopping=True,
        mixup=MixupTransformer(alpha=0.2),
        max_iter=3,
        n_iter_no_change=np.inf,
        random_state=0,
    )
    row_ids = np.arange(150.0)  # a column that names each row (iris has duplicates)
    _unconverged(clf, np.column_stack([X_IRIS, row_ids]), Y_IRIS)
    train, held_out = train_test_split(
        np.arange(150), test_size=0.1, stratify=Y_IRIS, random_state=0
    )
    assert len(seen) == 3  # one batch of the 135 training rows per epoch
    for rows in seen:
        assert sorted(rows[:, -1].astype(int)) == sorted(train)


# ---------------------------------------------------------------------- mixup
def test_training_mixer_preserves_the_weight_of_the_rows():
    mixer = TrainingMixer(MixupTransformer(alpha=0.3, include_original=True), 10)
    X, T, w = (
        RNG.normal(size=(10, 2)),
        np.eye(2)[RNG.integers(2, size=10)],
        RNG.uniform(size=10),
    )
    X_new, T_new, w_new = mixer(X, T, w, np.random.RandomState(0))
    assert X_new.shape[0] == mixer.rows_out(10) == 20
    assert w_new.sum() == pytest.approx(w.sum(), rel=1e-14)
    np.testing.assert_allclose(T_new.sum(axis=1), 1.0)
    again = mixer(X, T, w, np.random.RandomState(1))[0]
    assert not np.array_equal(X_new, again)


def test_stochastic_mixup_draws_fresh_mixtures_for_every_batch(monkeypatch):
    lambdas = []
    original = TrainingMixer.__call__

    def spy(self, X, targets, sample_weight, rng):
        X_new, T_new, w_new = original(self, X, targets, sample_weight, rng)
        lambdas.append(T_new.copy())
        return X_new, T_new, w_new

    monkeypatch.setattr(TrainingMixer, "__call__", spy)
    clf = SoftLabelClassifier(
        solver="sgd", batch_size=50, max_iter=2, mixup=MixupTransformer(alpha=1.0),
        n_iter_no_change=np.inf, random_state=0,
    )  # fmt: skip
    _unconverged(clf, X_IRIS, Y_IRIS)
    assert len(lambdas) == 6  # 3 batches x 2 epochs
    first = np.concatenate(lambdas[:3])
    second = np.concatenate(lambdas[3:])
    assert not np.allclose(np.sort(first, axis=0), np.sort(second, axis=0))


def test_mixup_seed_defaults_to_the_classifier_seed():
    def fit(mixup_seed, seed):
        clf = SoftLabelClassifier(
            solver="adam", max_iter=2, random_state=seed, n_iter_no_change=np.inf,
            mixup=MixupTransformer(alpha=0.4, random_state=mixup_seed),
        )  # fmt: skip
        return _unconverged(clf, X_IRIS, Y_IRIS).coef_

    np.testing.assert_array_equal(fit(None, 3), fit(None, 3))
    assert not np.array_equal(fit(None, 3), fit(None, 4))
    np.testing.assert_array_equal(fit(7, 3), fit(7, 3))


# ------------------------------------------------------------- data and weights
@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_sparse_and_dense_give_the_same_model(solver):
    params = dict(
        hidden_layer_sizes=(5,), solver=solver, max_iter=5, random_state=0,
        n_iter_no_change=np.inf, batch_size=40,
    )  # fmt: skip
    dense = _unconverged(SoftLabelClassifier(**params), X_IRIS, Y_IRIS)
    sparse = _unconverged(SoftLabelClassifier(**params), sp.csr_matrix(X_IRIS), Y_IRIS)
    for a, b in zip(dense.coefs_, sparse.coefs_, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_float32_is_kept_end_to_end():
    clf = SoftLabelClassifier(hidden_layer_sizes=(5,), solver="adam", max_iter=3)
    _unconverged(clf, X_IRIS.astype(np.float32), Y_IRIS)
    assert all(c.dtype == np.float32 for c in clf.coefs_ + clf.intercepts_)
    assert clf._stochastic_state.optimizer.first_moment.dtype == np.float32
    assert clf.predict_proba(X_IRIS.astype(np.float32)).dtype == np.float32


def test_full_batch_integer_weights_equal_repeated_rows():
    counts = RNG.integers(1, 4, size=150)
    params = dict(
        hidden_layer_sizes=(4,), solver="adam", max_iter=20, shuffle=False,
        n_iter_no_change=np.inf, random_state=0, learning_rate_init=0.01,
    )  # fmt: skip
    weighted = _unconverged(
        SoftLabelClassifier(batch_size=150, **params), X_IRIS, Y_IRIS,
        sample_weight=counts,
    )  # fmt: skip
    repeated = _unconverged(
        SoftLabelClassifier(batch_size=counts.sum(), **params),
        np.repeat(X_IRIS, counts, axis=0),
        np.repeat(Y_IRIS, counts),
    )
    for a, b in zip(weighted.coefs_, repeated.coefs_, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("solver", ["adam", "sgd"])
@pytest.mark.parametrize("target", ["hard", "soft-binary", "soft-matrix", "multilabel"])
def test_every_target_kind_trains(solver, target):
    n = 150
    y = {
        "hard": Y_IRIS,
        "soft-binary": RNG.uniform(size=n),
        "soft-matrix": RNG.dirichlet(np.ones(3), size=n),
        "multilabel": (RNG.uniform(size=(n, 3)) > 0.5).astype(float),
    }[target]
    loss = "bce" if target == "multilabel" else "cce"
    clf = SoftLabelClassifier(
        loss, hidden_layer_sizes=(4,), solver=solver, max_iter=30,
        label_smoothing=0.1, random_state=0,
    )  # fmt: skip
    with warnings.catch_warnings():
        # A fixed budget of 30 epochs: the loss must fall, converged or not.
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X_IRIS, y)
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]
    assert np.all(np.isfinite(clf.predict_proba(X_IRIS)))


def test_class_weight_multiplies_into_the_batch_weights():
    params = dict(solver="adam", max_iter=4, shuffle=False, random_state=0,
                  n_iter_no_change=np.inf)  # fmt: skip
    by_class = _unconverged(
        SoftLabelClassifier(class_weight={0: 3.0}, **params), X_IRIS, Y_IRIS
    )
    by_sample = _unconverged(
        SoftLabelClassifier(**params), X_IRIS, Y_IRIS,
        sample_weight=np.where(Y_IRIS == 0, 3.0, 1.0),
    )  # fmt: skip
    np.testing.assert_allclose(by_class.coef_, by_sample.coef_, rtol=1e-13)


def test_diverging_fit_keeps_the_last_finite_epoch():
    params = dict(
        hidden_layer_sizes=(20,), activation="identity", solver="sgd",
        learning_rate_init=10.0, alpha=0.0, max_iter=200, random_state=0,
    )  # fmt: skip
    with np.errstate(over="ignore", invalid="ignore"):
        with pytest.warns(ConvergenceWarning, match="non-finite"):
            clf = SoftLabelClassifier(n_iter_no_change=np.inf, **params).fit(
                X_IRIS, Y_IRIS
            )
    assert all(np.all(np.isfinite(c)) for c in clf.coefs_)
    assert np.isfinite(clf.loss_) and clf.loss_ == clf.loss_curve_[-2]
    assert not np.isfinite(clf.loss_curve_[-1])


def test_a_loss_that_grew_is_not_reported_as_converged():
    # The stopping rule fires (no improvement for 10 epochs), but on a loss that
    # exploded: a ConvergenceWarning says so.
    with np.errstate(over="ignore", invalid="ignore"):
        with pytest.warns(ConvergenceWarning, match="loss grew"):
            SoftLabelClassifier(
                hidden_layer_sizes=(20,), activation="identity", solver="sgd",
                learning_rate_init=1.0, alpha=0.0, random_state=0,
            ).fit(X_IRIS, Y_IRIS)  # fmt: skip
