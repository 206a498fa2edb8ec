"""Losses and the objective: analytic gradients and Hessian products against finite
differences."""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

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
    theta = network.initial_parameters(seed) + rng.normal(
        scale=0.5, size=network.n_params
    )
    return objective, theta


# Central differences in float64 with a derived error bound. For a step h,
#   |(phi(h) - phi(-h)) / (2 h) - phi'(0)| <= h^2 / 6 * M3 + eps_phi / h,
# with M3 a bound on |phi'''| near 0 (truncation) and eps_phi a bound on the rounding
# error of one evaluation of phi (rounding). Both terms are computed, not tuned:
# - eps_phi = 64 u * scale (u: float64 epsilon). f is a sum of non-negative terms
#   (weighted per-row cross-entropies, the penalty), each reaching f through fewer
#   than 32 roundings here (at most three layers of dot products of at most 6 terms,
#   the log-sum-exp, the weighted row sum): gamma_32 ~ 32 u relative to the sum,
#   doubled for the cancellation between the log-sum-exp and the target term of a
#   loss on logits of order 1. So scale = |f| for values; for gradients it is the
#   magnitude of their terms (see test_hessian_product_matches_finite_differences).
# - M3 = 2 (|D3| + 3 eps_phi / H^3), with D3 the five-point third difference at
#   H = 1e-3 and 3 eps_phi / H^3 its rounding error; the factor 2 covers the change of
#   phi''' over the stencil and the stencil's own O(H^2) error. A relu kink within 2H
#   inflates D3: a looser bound there, never a wrong one. A kink within h would make
#   the central difference itself wrong; none of these problems has one that close.
# - h = 1e-5: the truncation term (about 2e-11 M3) stays below the rounding term
#   (1.4e-9 to 6e-9 for |f| of 1 to 4), so the check resolves gradient errors of a
#   few 1e-9, where the forward differences it replaces allowed 1e-6 |g|. (theta +- h
#   rounds by at most u |theta|: a relative error below 1e-10 in the step.)
STEP, STENCIL, ROUNDING = 1e-5, 1e-3, 64 * np.finfo(np.float64).eps


def _central_difference(phi, scale):
    """phi'(0) by central differences at STEP, and a bound on their error.

    ``phi`` maps a step t (a float) to a float or an array; ``scale`` is the
    magnitude that rounds in one evaluation of phi (see the comment above).
    """
    eps_phi = ROUNDING * scale
    derivative = (phi(STEP) - phi(-STEP)) / (2 * STEP)
    H = STENCIL
    third = (phi(2 * H) - 2 * phi(H) + 2 * phi(-H) - phi(-2 * H)) / (2 * H**3)
    m3 = 2 * (np.abs(third) + 3 * eps_phi / H**3)
    return derivative, STEP**2 / 6 * m3 + eps_phi / STEP


def _coordinate_differences(value, theta):
    """Central differences of ``value`` along each coordinate, and their bounds."""
    scale = abs(value(theta))
    derivative, bound = np.empty_like(theta), np.empty_like(theta)
    for i in range(theta.size):
        unit = np.zeros_like(theta)
        unit[i] = 1.0
        derivative[i], bound[i] = _central_difference(
            lambda t, unit=unit: value(theta + t * unit), scale
        )
    return derivative, bound


@pytest.mark.parametrize("kind, loss, hidden, activation", CASES)
@pytest.mark.parametrize("sparse", [False, True])
def test_gradient_matches_finite_differences(kind, loss, hidden, activation, sparse):
    objective, theta = _objective(kind, loss, hidden, activation, sparse=sparse)
    numeric, bound = _coordinate_differences(lambda t: objective(t)[0], theta)
    error = np.abs(objective(theta)[1] - numeric)
    assert np.all(error <= bound), f"error / bound up to {(error / bound).max():.3g}"


def test_gradient_check_detects_a_wrong_gradient():
    """The check above fails a gradient off by a relative 1e-6 (forward differences
    with a tolerance of 1e-6 |g| could not)."""
    objective, theta = _objective("soft-multiclass", "cce", (5,), "tanh")
    numeric, bound = _coordinate_differences(lambda t: objective(t)[0], theta)
    wrong = objective(theta)[1] * (1 + 1e-6)
    assert np.any(np.abs(wrong - numeric) > bound)


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
        network, CategoricalCrossEntropy(), X, targets, s / s.sum(), alpha / s.sum()
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
    # Each gradient entry sums w_i * x_ij * (p_ik - t_ik) over rows (x_ij = 1 for an
    # intercept), with sum(w) = 1 and |p - t| <= 1, plus the penalty's l2 * theta_j:
    # the magnitude that rounds in one gradient evaluation (see ROUNDING above).
    scale = max(1.0, abs(objective.X).max()) + objective.l2 * np.abs(theta).max()
    rng = np.random.default_rng(3)
    for _ in range(3):
        direction = rng.normal(size=theta.shape)
        numeric, bound = _central_difference(
            lambda t, d=direction: objective(theta + t * d)[1], scale
        )
        exact = objective.hessp(theta, direction)
        assert np.all(np.abs(exact - numeric) <= bound)


def test_hessian_product_recomputes_after_moving():
    """hessp at a point other than the last evaluated one must not use stale state."""
    objective, theta = _objective("soft-multiclass", "cce", (), "relu")
    other = theta + 1.0
    direction = np.ones_like(theta)
    objective(theta)
    at_other = objective.hessp(other, direction)
    fresh, _ = _objective("soft-multiclass", "cce", (), "relu")
    np.testing.assert_allclose(at_other, fresh.hessp(other, direction), rtol=1e-12)


@pytest.mark.parametrize("loss", [CategoricalCrossEntropy(), BinaryCrossEntropy()])
def test_losses_are_finite_for_huge_logits_and_exact_targets(loss):
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 3.0]])
    for targets in (
        np.array([[1.0, 0, 0], [0, 1.0, 0]]),
        np.array([[0, 1.0, 0], [0, 0, 1.0]]),
    ):
        proba = np.empty_like(logits)
        grad = np.empty_like(logits)
        value = loss.loss_gradient(logits, targets, np.full(2, 0.5), proba, grad)
        assert np.isfinite(value)
        assert np.all(np.isfinite(grad)) and np.all(np.isfinite(proba))
    # The correct confident prediction costs (almost) nothing, the wrong one 1e4-ish.
    right = loss.loss_gradient(
        logits[:, :2],
        np.array([[1.0, 0], [0, 1.0]]),
        np.full(2, 0.5),
        np.empty((2, 2)),
        np.empty((2, 2)),
    )
    wrong = loss.loss_gradient(
        logits[:, :2],
        np.array([[0.0, 1], [1, 0.0]]),
        np.full(2, 0.5),
        np.empty((2, 2)),
        np.empty((2, 2)),
    )
    assert right == pytest.approx(0.0, abs=1e-12)
    assert wrong >= 1e4


def _cross_entropy_at(loss, targets, logits):
    proba = np.empty_like(logits)
    return loss.loss_gradient(
        logits,
        targets,
        np.full(targets.shape[0], 1 / targets.shape[0]),
        proba,
        np.empty_like(logits),
    )


@settings(max_examples=50, deadline=None, derandomize=True)
@given(
    target=arrays(np.float64, 4, elements=st.floats(0.01, 1.0)),
    shift=arrays(np.float64, 4, elements=st.floats(-3, 3)),
)
def test_cce_is_minimised_where_the_prediction_equals_the_target(target, shift):
    target = (target / target.sum())[None, :]
    best = np.log(target)  # softmax(best) == target
    loss = CategoricalCrossEntropy()
    at_best = _cross_entropy_at(loss, target, best)
    entropy = -(target * np.log(target)).sum()
    assert at_best == pytest.approx(entropy, rel=1e-10)
    assert _cross_entropy_at(loss, target, best + shift[None, :]) >= at_best - 1e-12


@settings(max_examples=50, deadline=None, derandomize=True)
@given(
    target=arrays(np.float64, 3, elements=st.floats(0.001, 0.999)),
    shift=arrays(np.float64, 3, elements=st.floats(-3, 3)),
)
def test_bce_is_minimised_where_the_prediction_equals_the_target(target, shift):
    target = target[None, :]
    best = np.log(target) - np.log1p(-target)  # sigmoid(best) == target
    loss = BinaryCrossEntropy()
    at_best = _cross_entropy_at(loss, target, best)
    assert _cross_entropy_at(loss, target, best + shift[None, :]) >= at_best - 1e-12
    proba = np.empty_like(best)
    grad = np.empty_like(best)
    loss.loss_gradient(best, target, np.ones(1), proba, grad)
    np.testing.assert_allclose(grad, 0.0, atol=1e-12)


def test_initialisation_matches_sklearn_mlp():
    """Glorot-uniform draws in scikit-learn's order: the same start for a seed."""
    X = RNG.normal(size=(20, D))
    y = np.arange(20) % K
    # One SGD epoch with a step of 1e-300 leaves the initial weights unchanged; a
    # budget of one epoch, so scikit-learn warns that it did not converge.
    mlp = MLPClassifier(
        hidden_layer_sizes=(7, 5), activation="tanh", solver="sgd", max_iter=1,
        learning_rate_init=1e-300, momentum=0.0, alpha=0.0, random_state=3,
    )  # fmt: skip
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(1\)"):
        mlp.fit(X, y)
    network = Network([D, 7, 5, K], "tanh")
    coefs, intercepts = network.unpack(network.initial_parameters(3))
    for ours, theirs in zip(
        coefs + intercepts, mlp.coefs_ + mlp.intercepts_, strict=True
    ):
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "loss, hidden", [("cce", ()), ("bce", ()), ("cce", (7, 5)), ("bce", (6,))]
)
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
    # Both sum the same terms in the dtype of X, in another order (one product over
    # 1000 rows against four over at most 256, then added). Reordering a sum of n terms
    # moves it by about sqrt(n) eps relative to the terms' magnitude (rounding errors
    # that add like a random walk): sqrt(1000) eps = 7.0e-15 in float64, 3.8e-6 in
    # float32, relative to the largest entry. Measured: 9.1e-16 and 3.6e-7.
    rtol = np.sqrt(1000) * np.finfo(dtype).eps
    value, grad = blocked(theta)
    expected_value, expected_grad = whole(theta)
    np.testing.assert_allclose(value, expected_value, rtol=rtol)
    np.testing.assert_allclose(
        grad, expected_grad, rtol=rtol, atol=rtol * np.abs(expected_grad).max()
    )
    if not hidden:
        expected = whole.hessp(theta, direction)
        np.testing.assert_allclose(
            blocked.hessp(theta, direction),
            expected,
            rtol=rtol,
            atol=rtol * np.abs(expected).max(),
        )
        np.testing.assert_array_equal(blocked._proba_all, whole._proba_all)
