"""Losses and the objective: analytic gradients and Hessian products vs finite differences."""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.optimize import check_grad

from sksoftce._losses import LOSSES, BinaryCrossEntropy, CategoricalCrossEntropy
from sksoftce._networks import Network
from sksoftce._objective import Objective

RNG = np.random.default_rng(0)
N, D, K = 30, 4, 3


def _targets(kind, rng):
    """(targets for the loss, loss name) for each target kind the estimator uses."""
    if kind == "hard-multiclass":
        return np.eye(K)[rng.integers(K, size=N)], ("cce", "bce")
    if kind == "soft-multiclass":
        return rng.dirichlet(np.ones(K), size=N), ("cce", "bce")
    if kind == "soft-binary":
        p = rng.uniform(size=(N, 1))
        return p, ("bce",)
    if kind == "multilabel":
        return rng.uniform(size=(N, K)), ("bce",)
    raise AssertionError(kind)


CASES = [
    (kind, loss, hidden, activation)
    for kind in ["hard-multiclass", "soft-multiclass", "soft-binary", "multilabel"]
    for loss in ("cce", "bce")
    if loss in _targets(kind, np.random.default_rng(0))[1]
    for hidden, activation in [
        ((), "relu"),
        ((5,), "tanh"),
        ((5, 4), "logistic"),
        ((6,), "identity"),
        ((5, 3), "relu"),
    ]
]


def _objective(kind, loss, hidden, activation, *, smoothing=0.1, sparse=False, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, D))
    targets, _ = _targets(kind, rng)
    targets = (1 - smoothing) * targets + smoothing / (
        targets.shape[1] if loss == "cce" else 2
    )
    sample_weight = rng.uniform(0.5, 2.0, size=N)
    network = Network([D, *hidden, targets.shape[1]], activation)
    alpha = 0.3
    weights = sample_weight / sample_weight.sum()
    X = sp.csr_matrix(X) if sparse else X
    objective = Objective(
        network, LOSSES[loss], X, targets, weights, alpha / sample_weight.sum()
    )
    theta = network.initial_parameters(seed) + rng.normal(scale=0.5, size=network.n_params)
    return objective, theta


@pytest.mark.parametrize("kind, loss, hidden, activation", CASES)
@pytest.mark.parametrize("sparse", [False, True])
def test_gradient_matches_finite_differences(kind, loss, hidden, activation, sparse):
    objective, theta = _objective(kind, loss, hidden, activation, sparse=sparse)
    value = lambda t: objective(t)[0]  # noqa: E731
    gradient = lambda t: objective(t)[1]  # noqa: E731
    scale = np.linalg.norm(gradient(theta))
    # relu's kink makes central differences wrong within h of 0; none is that close.
    error = check_grad(value, gradient, theta, epsilon=1e-6)
    assert error <= 1e-6 * max(scale, 1.0)


def test_gradient_check_detects_a_wrong_gradient():
    """The finite-difference check above is sensitive enough to fail."""
    objective, theta = _objective("soft-multiclass", "cce", (5,), "tanh")
    wrong = lambda t: objective(t)[1] * 1.001  # noqa: E731
    error = check_grad(lambda t: objective(t)[0], wrong, theta, epsilon=1e-6)
    assert error > 1e-6 * np.linalg.norm(objective(theta)[1])


def test_objective_formula_matches_direct_computation():
    """f = sum s_i loss_i / S + alpha/(2S) ||W||^2, with the loss computed naively."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(N, D))
    targets = rng.dirichlet(np.ones(K), size=N)
    s = rng.uniform(0.5, 2.0, size=N)
    network = Network([D, 5, K], "tanh")
    theta = network.initial_parameters(0)
    alpha = 0.7
    objective = Objective(
        network, CategoricalCrossEntropy, X, targets, s / s.sum(), alpha / s.sum()
    )
    (W1, W2), (b1, b2) = network.unpack(theta)
    logits = np.tanh(X @ W1 + b1) @ W2 + b2
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    loss = -(targets * np.log(proba)).sum(axis=1)
    expected = s @ loss / s.sum() + alpha / (2 * s.sum()) * (
        (W1**2).sum() + (W2**2).sum()
    )
    assert objective(theta)[0] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    "loss, kind",
    [
        ("cce", "hard-multiclass"),
        ("cce", "soft-multiclass"),
        ("bce", "hard-multiclass"),
        ("bce", "soft-binary"),
        ("bce", "multilabel"),
    ],
)
@pytest.mark.parametrize("sparse", [False, True])
def test_hessian_product_matches_finite_differences(loss, kind, sparse):
    objective, theta = _objective(kind, loss, (), "relu", sparse=sparse)
    rng = np.random.default_rng(3)
    for _ in range(3):
        direction = rng.normal(size=theta.shape)
        h = 1e-6
        numeric = (objective(theta + h * direction)[1] - objective(theta - h * direction)[1]) / (2 * h)
        exact = objective.hessp(theta, direction)
        np.testing.assert_allclose(exact, numeric, rtol=1e-6, atol=1e-8)


def test_hessian_product_recomputes_after_moving():
    """hessp at a point other than the last evaluated one must not use stale state."""
    objective, theta = _objective("soft-multiclass", "cce", (), "relu")
    other = theta + 1.0
    direction = np.ones_like(theta)
    objective(theta)
    at_other = objective.hessp(other, direction)
    fresh, _ = _objective("soft-multiclass", "cce", (), "relu")
    np.testing.assert_allclose(at_other, fresh.hessp(other, direction), rtol=1e-12)


@pytest.mark.parametrize("loss", [CategoricalCrossEntropy, BinaryCrossEntropy])
def test_losses_are_finite_for_huge_logits_and_exact_targets(loss):
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 3.0]])
    for targets in (np.array([[1.0, 0, 0], [0, 1.0, 0]]), np.array([[0, 1.0, 0], [0, 0, 1.0]])):
        proba = np.empty_like(logits)
        grad = np.empty_like(logits)
        value = loss.loss_gradient(logits, targets, np.full(2, 0.5), proba, grad)
        assert np.isfinite(value)
        assert np.all(np.isfinite(grad)) and np.all(np.isfinite(proba))
    # The correct confident prediction costs (almost) nothing, the wrong one 1e4-ish.
    right = loss.loss_gradient(
        logits[:, :2], np.array([[1.0, 0], [0, 1.0]]), np.full(2, 0.5),
        np.empty((2, 2)), np.empty((2, 2)),
    )
    wrong = loss.loss_gradient(
        logits[:, :2], np.array([[0.0, 1], [1, 0.0]]), np.full(2, 0.5),
        np.empty((2, 2)), np.empty((2, 2)),
    )
    assert right == pytest.approx(0.0, abs=1e-12)
    assert wrong >= 1e4


def _cross_entropy_at(loss, targets, logits):
    proba = np.empty_like(logits)
    return loss.loss_gradient(
        logits, targets, np.full(targets.shape[0], 1 / targets.shape[0]), proba,
        np.empty_like(logits),
    )


@settings(max_examples=50, deadline=None)
@given(
    target=arrays(np.float64, 4, elements=st.floats(0.01, 1.0)),
    shift=arrays(np.float64, 4, elements=st.floats(-3, 3)),
)
def test_cce_is_minimised_where_the_prediction_equals_the_target(target, shift):
    target = (target / target.sum())[None, :]
    best = np.log(target)  # softmax(best) == target
    loss = CategoricalCrossEntropy
    at_best = _cross_entropy_at(loss, target, best)
    entropy = -(target * np.log(target)).sum()
    assert at_best == pytest.approx(entropy, rel=1e-10)
    assert _cross_entropy_at(loss, target, best + shift[None, :]) >= at_best - 1e-12


@settings(max_examples=50, deadline=None)
@given(
    target=arrays(np.float64, 3, elements=st.floats(0.001, 0.999)),
    shift=arrays(np.float64, 3, elements=st.floats(-3, 3)),
)
def test_bce_is_minimised_where_the_prediction_equals_the_target(target, shift):
    target = target[None, :]
    best = np.log(target) - np.log1p(-target)  # sigmoid(best) == target
    loss = BinaryCrossEntropy
    at_best = _cross_entropy_at(loss, target, best)
    assert _cross_entropy_at(loss, target, best + shift[None, :]) >= at_best - 1e-12
    proba = np.empty_like(best)
    grad = np.empty_like(best)
    loss.loss_gradient(best, target, np.ones(1), proba, grad)
    np.testing.assert_allclose(grad, 0.0, atol=1e-12)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_initialisation_matches_sklearn_mlp():
    """Glorot-uniform draws in scikit-learn's order: the same start for the same seed."""
    from sklearn.neural_network import MLPClassifier

    X = RNG.normal(size=(20, D))
    y = np.arange(20) % K
    # One SGD epoch with a step of 1e-300 leaves the initial weights unchanged.
    mlp = MLPClassifier(
        hidden_layer_sizes=(7, 5), activation="tanh", solver="sgd", max_iter=1,
        learning_rate_init=1e-300, momentum=0.0, alpha=0.0, random_state=3,
    ).fit(X, y)
    network = Network([D, 7, 5, K], "tanh")
    coefs, intercepts = network.unpack(network.initial_parameters(3))
    for ours, theirs in zip(coefs + intercepts, mlp.coefs_ + mlp.intercepts_):
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("loss, hidden", [("cce", ()), ("bce", ()), ("cce", (7, 5)), ("bce", (6,))])
def test_blocked_evaluation_equals_one_block(monkeypatch, dtype, loss, hidden):
    # 1000 rows in blocks of 256 (the smallest block) against one block of 1000.
    rng = np.random.default_rng(3)
    X = rng.normal(size=(1000, 4)).astype(dtype)
    Y = rng.dirichlet(np.ones(3), size=1000)
    w = rng.uniform(0.5, 2.0, size=1000)
    network = Network([4, *hidden, 3], "tanh")
    theta = rng.normal(size=network.n_params)
    direction = rng.normal(size=network.n_params)
    whole = Objective(network, LOSSES[loss], X, Y, w / w.sum(), 0.1)
    monkeypatch.setattr("sksoftce._objective._BLOCK_BYTES", 1)
    blocked = Objective(network, LOSSES[loss], X, Y, w / w.sum(), 0.1)
    assert whole.block_rows == 1000 and blocked.block_rows == 256  # 1 and 4 blocks
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    value, grad = blocked(theta)
    expected_value, expected_grad = whole(theta)
    np.testing.assert_allclose(value, expected_value, rtol=rtol)
    np.testing.assert_allclose(grad, expected_grad, rtol=rtol, atol=rtol * np.abs(expected_grad).max())
    if not hidden:
        expected = whole.hessp(theta, direction)
        np.testing.assert_allclose(blocked.hessp(theta, direction), expected, rtol=rtol, atol=rtol * np.abs(expected).max())
        np.testing.assert_array_equal(blocked._proba_all, whole._proba_all)
