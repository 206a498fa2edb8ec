"""Loss options: temperature, focal forms and pos_weight, against exact references."""

import warnings

import numpy as np
import pytest
from scipy.optimize import brentq
from scipy.special import expit, log_expit, log_softmax, softmax

from sksoftce import SoftLabelClassifier
from sksoftce._losses import BinaryCrossEntropy, CategoricalCrossEntropy
from sksoftce._networks import Network
from sksoftce._objective import Objective

RNG = np.random.default_rng(0)
N, M = 7, 4


def _value_gradient(loss, logits, targets, weights):
    proba, gradient = np.empty_like(logits), np.empty_like(logits)
    value = loss.loss_gradient(logits, targets, weights, proba, gradient)
    return value, gradient, proba


def _central_differences(loss, logits, targets, weights, h=1e-5):
    """Central differences of the loss value with respect to every logit.

    Truncation error h**2 / 6 * |f'''| (the third derivatives of these losses are
    below 10 in magnitude at these logits, with the 1/T**3 of temperatures >= 0.5:
    80 / 6 * 1e-10 < 2e-9), rounding error about eps * |f| / h (|f| < 50: 1e-9).
    """
    gradient = np.empty_like(logits)
    for index in np.ndindex(*logits.shape):
        step = np.zeros_like(logits)
        step[index] = h
        plus = _value_gradient(loss, logits + step, targets, weights)[0]
        minus = _value_gradient(loss, logits - step, targets, weights)[0]
        gradient[index] = (plus - minus) / (2 * h)
    return gradient


def _targets(kind):
    if kind == "hard":
        return np.eye(M)[RNG.integers(M, size=N)]
    if kind == "soft":
        return RNG.dirichlet(np.ones(M), size=N)
    return RNG.uniform(size=(N, M))  # multi-label marginals (BCE)


CCE_OPTIONS = [
    dict(temperature=2.0),
    dict(temperature=0.5),
    dict(focal_gamma=2.0),
    dict(focal_gamma=0.5),
    dict(temperature=3.0, focal_gamma=1.0),
]
BCE_OPTIONS = [
    dict(temperature=2.0),
    dict(focal_gamma=2.0),
    dict(focal_gamma=0.5),
    dict(pos_weight=np.array([0.5, 1.0, 2.0, 3.0])),
    dict(temperature=0.5, focal_gamma=1.5, pos_weight=np.array([2.0, 1.0, 1.0, 0.3])),
]


@pytest.mark.parametrize("kind", ["hard", "soft"])
@pytest.mark.parametrize("options", CCE_OPTIONS)
def test_cce_option_gradients_match_central_differences(options, kind):
    loss = CategoricalCrossEntropy(**options)
    logits, targets = RNG.normal(scale=2.0, size=(N, M)), _targets(kind)
    weights = RNG.uniform(0.5, 2.0, size=N) / N
    _, gradient, _ = _value_gradient(loss, logits, targets, weights)
    expected = _central_differences(loss, logits, targets, weights)
    np.testing.assert_allclose(gradient, expected, rtol=0, atol=5e-9)


@pytest.mark.parametrize("kind", ["hard", "soft", "multilabel"])
@pytest.mark.parametrize("options", BCE_OPTIONS)
def test_bce_option_gradients_match_central_differences(options, kind):
    loss = BinaryCrossEntropy(**options)
    logits, targets = RNG.normal(scale=2.0, size=(N, M)), _targets(kind)
    weights = RNG.uniform(0.5, 2.0, size=N) / N
    _, gradient, _ = _value_gradient(loss, logits, targets, weights)
    expected = _central_differences(loss, logits, targets, weights)
    np.testing.assert_allclose(gradient, expected, rtol=0, atol=5e-9)


def _numpy_focal_cce(logits, targets, gamma, temperature):
    log_p = log_softmax(logits / temperature, axis=1)
    return -(targets * (1 - np.exp(log_p)) ** gamma * log_p).sum(axis=1)


def _numpy_bce(logits, targets, gamma, temperature, pos_weight):
    z = logits / temperature
    pos_weight = np.ones(logits.shape[1]) if pos_weight is None else pos_weight
    ce = -(pos_weight * targets * log_expit(z) + (1 - targets) * log_expit(-z))
    p = expit(z)
    return ((1 - (p * targets + (1 - p) * (1 - targets))) ** gamma * ce).sum(axis=1)


@pytest.mark.parametrize("options", CCE_OPTIONS)
def test_cce_option_values_match_the_formula(options):
    loss = CategoricalCrossEntropy(**options)
    logits, targets = RNG.normal(size=(N, M)), _targets("soft")
    weights = np.full(N, 1.0 / N)
    value = _value_gradient(loss, logits, targets, weights)[0]
    expected = _numpy_focal_cce(
        logits, targets, options.get("focal_gamma", 0.0), options.get("temperature", 1)
    ).mean()
    np.testing.assert_allclose(value, expected, rtol=1e-13)


@pytest.mark.parametrize("options", BCE_OPTIONS)
def test_bce_option_values_match_the_formula(options):
    loss = BinaryCrossEntropy(**options)
    logits, targets = RNG.normal(size=(N, M)), _targets("multilabel")
    weights = np.full(N, 1.0 / N)
    value = _value_gradient(loss, logits, targets, weights)[0]
    expected = _numpy_bce(
        logits,
        targets,
        options.get("focal_gamma", 0.0),
        options.get("temperature", 1.0),
        options.get("pos_weight"),
    ).mean()
    np.testing.assert_allclose(value, expected, rtol=1e-13)


def test_pos_weight_matches_pytorch():
    torch = pytest.importorskip("torch")
    logits, targets = RNG.normal(scale=3.0, size=(50, M)), _targets("multilabel")
    targets = np.vstack([targets] * 8)[:50]
    pos_weight = np.array([0.2, 1.0, 2.5, 7.0])
    value, gradient, _ = _value_gradient(
        BinaryCrossEntropy(pos_weight=pos_weight), logits, targets, np.full(50, 1 / 50)
    )
    z = torch.tensor(logits, requires_grad=True)
    expected = (
        torch.nn.functional.binary_cross_entropy_with_logits(
            z,
            torch.tensor(targets),
            pos_weight=torch.tensor(pos_weight),
            reduction="sum",
        )
        / 50
    )
    expected.backward()
    np.testing.assert_allclose(value, expected.item(), rtol=1e-13)
    np.testing.assert_allclose(gradient, z.grad.numpy(), rtol=1e-12, atol=1e-16)


def test_focal_bce_matches_torchvision_formula_in_torch():
    torch = pytest.importorskip("torch")
    logits, targets = (
        RNG.normal(scale=3.0, size=(20, M)),
        (RNG.uniform(size=(20, M)) > 0.5) * 1.0,
    )
    value = _value_gradient(
        BinaryCrossEntropy(focal_gamma=2.0), logits, targets, np.full(20, 1 / 20)
    )[0]
    # torchvision.ops.sigmoid_focal_loss with alpha < 0 (no alpha weighting):
    z, t = torch.tensor(logits), torch.tensor(targets)
    p = torch.sigmoid(z)
    ce = torch.nn.functional.binary_cross_entropy_with_logits(z, t, reduction="none")
    p_t = p * t + (1 - p) * (1 - t)
    expected = (ce * (1 - p_t) ** 2).sum() / 20
    np.testing.assert_allclose(value, expected.item(), rtol=1e-12)


@pytest.mark.parametrize(
    "target, gamma", [(0.7, 2.0), (0.7, 1.0), (0.9, 0.5), (0.3, 3.0)]
)
def test_focal_minimiser_of_a_soft_binary_target(target, gamma):
    # The intercept-only model's fitted probability is the root of the focal
    # loss's derivative in p (its closed-form stationarity condition).
    def derivative_in_z(z):
        p = expit(z)
        q = p + target - 2 * p * target
        ce = np.logaddexp(0, z) - target * z
        return gamma * q ** (gamma - 1) * (1 - 2 * target) * p * (
            1 - p
        ) * ce + q**gamma * (p - target)

    expected = expit(brentq(derivative_in_z, -30, 30, xtol=1e-14))
    X = np.zeros((10, 1))
    with pytest.warns(UserWarning, match="not proper"):
        clf = SoftLabelClassifier(
            "bce", focal_gamma=gamma, alpha=0.0, tol=1e-12, max_iter=1000
        ).fit(X, np.full(10, target))
    assert abs(clf.predict_proba(X[:1])[0, 1] - expected) <= 1e-6
    if target > 0.5:
        assert expected > target  # the focal loss pushes soft targets outwards


def test_temperature_of_a_linear_model_is_a_reparameterisation():
    # softmax(X W / T) with alpha equals softmax(X W') with alpha * T**2, W = T W':
    # an identity of the objectives at any parameters ...
    X = RNG.normal(size=(60, 3))
    y = RNG.integers(3, size=60)
    targets, weights = np.eye(3)[y], RNG.uniform(0.5, 2.0, size=60)
    network = Network([3, 3], "relu")
    theta = RNG.normal(size=network.n_params)
    hot = Objective(network, CategoricalCrossEntropy(2.5), X, targets, weights, 1.0)
    plain = Objective(network, CategoricalCrossEntropy(), X, targets, weights, 6.25)
    value, gradient = hot(theta)
    value_plain, gradient_plain = plain(theta / 2.5)
    np.testing.assert_allclose(value, value_plain, rtol=1e-14)
    np.testing.assert_allclose(gradient, gradient_plain / 2.5, rtol=1e-12, atol=1e-15)
    # ... so the fits agree, to the precision of L-BFGS-B's stopping rule (its
    # ftol = 64 eps on the objective leaves coefficients about sqrt(64 eps) = 1.2e-7
    # relative from the optimum).
    fitted_hot = SoftLabelClassifier(temperature=2.5, alpha=1.0, tol=1e-10).fit(X, y)
    fitted_plain = SoftLabelClassifier(alpha=6.25, tol=1e-10).fit(X, y)
    scale = np.abs(fitted_hot.coef_).max()
    np.testing.assert_allclose(
        fitted_hot.coef_, 2.5 * fitted_plain.coef_, rtol=0, atol=1e-6 * scale
    )
    # Predictions use T = 1: the logits of the fitted weights, not divided by T.
    np.testing.assert_allclose(
        fitted_hot.predict_proba(X),
        softmax(X @ fitted_hot.coefs_[0] + fitted_hot.intercepts_[0], axis=1),
    )


@pytest.mark.parametrize("loss", ["cce", "bce"])
@pytest.mark.parametrize("hidden", [(), (5,)])
def test_default_options_leave_results_bit_identical(loss, hidden):
    X = RNG.normal(size=(50, 3))
    y = RNG.integers(3, size=50)
    params = dict(hidden_layer_sizes=hidden, random_state=0, max_iter=500)
    a = SoftLabelClassifier(loss, **params).fit(X, y)
    b = SoftLabelClassifier(
        loss, temperature=1.0, focal_gamma=0.0, pos_weight=None, **params
    ).fit(X, y)
    for u, v in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_, strict=True):
        np.testing.assert_array_equal(u, v)


def test_hessian_products_with_temperature_match_gradient_differences():
    loss = CategoricalCrossEntropy(temperature=3.0)
    logits, targets = RNG.normal(size=(N, M)), _targets("soft")
    weights = np.full(N, 1.0 / N)
    _, gradient, proba = _value_gradient(loss, logits, targets, weights)
    direction = RNG.normal(size=(N, M))
    product = loss.hessian_product(proba, weights, direction, np.empty_like(logits))
    h = 1e-6
    plus = _value_gradient(loss, logits + h * direction, targets, weights)[1]
    minus = _value_gradient(loss, logits - h * direction, targets, weights)[1]
    np.testing.assert_allclose(product, (plus - minus) / (2 * h), rtol=0, atol=1e-9)


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(loss="cce", pos_weight=2.0), "pos_weight .* needs loss='bce'"),
        (dict(loss="bce", pos_weight=[1.0, 2.0]), r"one entry per output \(1 here\)"),
        (dict(loss="bce", pos_weight=[np.inf]), "finite and positive"),
        (dict(solver="trust-ncg", focal_gamma=1.0), "needs Hessian products"),
        (
            dict(loss="bce", solver="Newton-CG", pos_weight=2.0),
            "needs Hessian products",
        ),
    ],
)
def test_bad_option_combinations_are_refused(params, match):
    X = RNG.normal(size=(20, 2))
    y = (X[:, 0] > 0).astype(int)
    with pytest.raises(ValueError, match=match):
        SoftLabelClassifier(**params).fit(X, y)


def test_focal_warns_only_for_soft_targets():
    X = RNG.normal(size=(30, 2))
    y = (X[:, 0] > 0).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        SoftLabelClassifier(focal_gamma=2.0, max_iter=500).fit(X, y)
    with pytest.warns(UserWarning, match="not proper"):
        SoftLabelClassifier(focal_gamma=2.0, label_smoothing=0.1, max_iter=500).fit(
            X, y
        )
