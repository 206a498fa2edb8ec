"""Exact equivalences between SoftLabelClassifier and scikit-learn's models."""

import copy

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_multilabel_classification
from sklearn.linear_model import LogisticRegression

from sksoftce import SoftLabelClassifier
from sksoftce._losses import CategoricalCrossEntropy
from sksoftce._networks import Network
from sksoftce._objective import Objective

# Both sides are solved to gradient norms of about 1e-8 (trust-ncg with exact Hessian
# products on our side, Newton-Cholesky on scikit-learn's), which pins parameters
# down to about 1e-7 of their scale on these problems; the comparisons allow 1e-6.
TIGHT = dict(solver="trust-ncg", tol=1e-8, max_iter=1000)
RTOL = 1e-6


def assert_same(actual, desired):
    """Equal to RTOL relative to each entry or to the largest entry."""
    desired = np.asarray(desired)
    np.testing.assert_allclose(
        actual, desired, rtol=RTOL, atol=RTOL * max(np.abs(desired).max(), 1e-3)
    )


def _lr(C, **kwargs):
    return LogisticRegression(
        C=C, solver="newton-cholesky", tol=1e-12, max_iter=1000, **kwargs
    )


@pytest.fixture
def multiclass():
    return make_classification(
        n_samples=200, n_features=6, n_informative=4, n_classes=3, random_state=0
    )


@pytest.fixture
def binary():
    return make_classification(n_samples=200, n_features=5, random_state=1)


def _centered(intercepts):
    return intercepts - intercepts.mean()


@pytest.mark.parametrize("C", [0.1, 1.0, 100.0])
def test_hard_label_cce_is_multinomial_logistic_regression(multiclass, C):
    X, y = multiclass
    ours = SoftLabelClassifier(loss="cce", alpha=1 / C, **TIGHT).fit(X, y)
    theirs = _lr(C).fit(X, y)
    assert_same(ours.coef_, theirs.coef_)
    # Softmax intercepts are defined up to a constant; compare them centred.
    assert_same(_centered(ours.intercept_), _centered(theirs.intercept_))
    assert_same(ours.predict_proba(X), theirs.predict_proba(X))


@pytest.mark.parametrize("C", [0.1, 1.0, 100.0])
def test_binary_bce_is_binary_logistic_regression(binary, C):
    X, y = binary
    ours = SoftLabelClassifier(loss="bce", alpha=1 / C, **TIGHT).fit(X, y)
    theirs = _lr(C).fit(X, y)
    assert ours.coef_.shape == theirs.coef_.shape == (1, X.shape[1])
    assert_same(ours.coef_, theirs.coef_)
    assert_same(ours.intercept_, theirs.intercept_)
    assert_same(ours.decision_function(X), theirs.decision_function(X))


def test_multiclass_bce_is_one_vs_rest_logistic_regression(multiclass):
    """Sigmoid outputs with summed BCE decouple into K binary logistic regressions."""
    X, y = multiclass
    C = 0.5
    ours = SoftLabelClassifier(loss="bce", alpha=1 / C, **TIGHT).fit(X, y)
    for k in range(3):
        theirs = _lr(C).fit(X, y == k)
        assert_same(ours.coef_[k], theirs.coef_[0])
        assert_same(ours.intercept_[k], theirs.intercept_[0])


@pytest.mark.parametrize("loss", ["cce", "bce"])
def test_sample_and_class_weights_match_logistic_regression(multiclass, loss):
    X, y = multiclass
    rng = np.random.default_rng(0)
    sample_weight = rng.uniform(0.1, 3.0, size=y.shape[0])
    class_weight = {0: 2.0, 2: 0.5}
    kwargs = dict(loss=loss, alpha=2.0, class_weight=class_weight, **TIGHT)
    ours = SoftLabelClassifier(**kwargs).fit(X, y, sample_weight=sample_weight)
    if loss == "cce":
        theirs = _lr(0.5, class_weight=class_weight).fit(
            X, y, sample_weight=sample_weight
        )
        assert_same(ours.coef_, theirs.coef_)
    else:  # BCE: each output is a binary LR with the same per-sample weights
        s = sample_weight * np.vectorize(lambda c: class_weight.get(c, 1.0))(y)
        theirs = _lr(0.5).fit(X, y == 1, sample_weight=s)
        assert_same(ours.coef_[1], theirs.coef_[0])


def test_balanced_class_weight_matches_logistic_regression(multiclass):
    X, y = multiclass
    keep = (y != 2) | (np.arange(y.shape[0]) % 3 == 0)  # make class 2 rare
    X, y = X[keep], y[keep]
    ours = SoftLabelClassifier(alpha=1.0, class_weight="balanced", **TIGHT).fit(X, y)
    theirs = _lr(1.0, class_weight="balanced").fit(X, y)
    assert_same(ours.coef_, theirs.coef_)


@pytest.mark.parametrize("alpha", [0.1, 3.0])
def test_soft_cce_equals_logistic_regression_on_expanded_rows(alpha):
    """Soft targets = every row repeated K times with the probabilities as weights."""
    rng = np.random.default_rng(2)
    n, d, K = 150, 5, 4
    X = rng.normal(size=(n, d))
    Y = rng.dirichlet(np.full(K, 0.7), size=n)
    sample_weight = rng.uniform(0.5, 2.0, size=n)
    ours = SoftLabelClassifier(alpha=alpha, **TIGHT).fit(
        X, Y, sample_weight=sample_weight
    )

    X_expanded = np.repeat(X, K, axis=0)
    y_expanded = np.tile(np.arange(K), n)
    w_expanded = (sample_weight[:, None] * Y).ravel()
    theirs = _lr(1 / alpha).fit(X_expanded, y_expanded, sample_weight=w_expanded)
    assert_same(ours.coef_, theirs.coef_)
    assert_same(ours.predict_proba(X), theirs.predict_proba(X))


@pytest.mark.parametrize("soft", [False, True])
def test_two_unit_softmax_equals_one_sigmoid_with_half_the_penalty(binary, soft):
    """Binary CCE with alpha=a is binary BCE with alpha=a/2: at the optimum the two
    softmax weight vectors are w and -w, whose penalty is 2 ||w||^2 = ||2w||^2 / 2."""
    X, y = binary
    if soft:
        y = np.clip(
            0.8 * y + 0.1 + np.random.default_rng(0).normal(0, 0.05, y.shape), 0, 1
        )
    a = 0.7
    cce = SoftLabelClassifier(loss="cce", alpha=a, **TIGHT).fit(X, y)
    bce = SoftLabelClassifier(loss="bce", alpha=a / 2, **TIGHT).fit(X, y)
    assert cce.n_outputs_ == 2 and bce.n_outputs_ == 1
    assert_same(cce.coef_, bce.coef_)
    assert_same(cce.intercept_, bce.intercept_)
    assert_same(cce.predict_proba(X), bce.predict_proba(X))
    # ... and not with the same alpha: the equivalence is specific.
    same = SoftLabelClassifier(loss="bce", alpha=a, **TIGHT).fit(X, y)
    assert not np.allclose(cce.coef_, same.coef_, rtol=1e-3)


@pytest.mark.parametrize("loss", ["cce", "bce"])
def test_linear_fit_on_its_own_predictions_recovers_them(binary, loss):
    """CE >= entropy of the targets, with equality iff the prediction equals them: a
    fresh unpenalised fit on a linear model's own predictions reproduces them."""
    X, y = binary
    teacher = SoftLabelClassifier(loss=loss, alpha=5.0, **TIGHT).fit(X, y)
    proba = teacher.predict_proba(X)
    student = SoftLabelClassifier(loss=loss, alpha=0.0, **TIGHT).fit(X, proba[:, 1])
    np.testing.assert_allclose(student.predict_proba(X), proba, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(student.coef_, teacher.coef_, rtol=1e-5)


def _multilabel():
    X, Y = make_multilabel_classification(
        n_samples=120, n_features=5, n_classes=3, random_state=0
    )
    return X / X.std(axis=0), Y


@pytest.mark.parametrize("problem", ["cce-multiclass", "bce-binary", "bce-multilabel"])
def test_mlp_own_predictions_are_a_fixed_point(multiclass, binary, problem):
    """Warm-started at a fitted MLP, an unpenalised fit on that MLP's predict_proba
    starts at a zero gradient (P - T = 0) and does not move."""
    loss, kind = problem.split("-")
    X, y = {"multiclass": multiclass, "binary": binary}.get(kind) or _multilabel()
    teacher = SoftLabelClassifier(
        loss=loss, hidden_layer_sizes=(8,), alpha=5.0, max_iter=5000, random_state=0
    ).fit(X, y)
    proba = teacher.predict_proba(X)
    targets = proba[:, 1] if kind == "binary" else proba
    student = copy.deepcopy(teacher).set_params(alpha=0.0, warm_start=True, tol=1e-8)
    student.fit(X, targets)
    assert student.n_iter_ == 0
    np.testing.assert_array_equal(student.predict_proba(X), proba)


@pytest.mark.parametrize("C", [0.1, 10.0])
def test_logistic_regression_solution_is_stationary_for_our_objective(multiclass, C):
    """Solver-independent: LogisticRegression(C)'s optimum zeroes the gradient of the
    objective with alpha = 1/C, and not with another alpha."""
    X, y = multiclass
    n, d = X.shape
    theirs = _lr(C).fit(X, y)
    network = Network([d, 3], "identity")
    theta = network.pack([theirs.coef_.T], [theirs.intercept_])
    targets, weights = np.eye(3)[y], np.full(n, 1 / n)
    at_1_over_c = Objective(
        network, CategoricalCrossEntropy(), X, targets, weights, 1 / C / n
    )
    assert np.abs(at_1_over_c(theta)[1]).max() < 1e-9
    at_2_over_c = Objective(
        network, CategoricalCrossEntropy(), X, targets, weights, 2 / C / n
    )
    assert np.abs(at_2_over_c(theta)[1]).max() > 1e-4
