"""The full Hessian of linear models and the solver that uses it (trust-exact)."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

from sksoftce import SoftLabelClassifier
from sksoftce._losses import BinaryCrossEntropy, CategoricalCrossEntropy
from sksoftce._networks import Network
from sksoftce._objective import Objective


def _objective(loss, n_outputs, X, seed=0):
    rng = np.random.default_rng(seed)
    n = X.shape[0]
    if loss.name == "cce":
        targets = rng.dirichlet(np.ones(n_outputs), size=n)
    else:
        targets = rng.random((n, n_outputs))
    network = Network([X.shape[1], n_outputs], "relu")
    weights = rng.random(n) + 0.5
    objective = Objective(network, loss, X, targets, weights, alpha=0.3)
    theta = rng.normal(size=network.n_params)
    return objective, theta


LOSSES = [
    pytest.param(CategoricalCrossEntropy(), 3, id="cce"),
    pytest.param(CategoricalCrossEntropy(temperature=1.7), 4, id="cce-temperature"),
    pytest.param(BinaryCrossEntropy(), 3, id="bce-multilabel"),
    pytest.param(BinaryCrossEntropy(temperature=0.6), 1, id="bce-binary"),
]


@pytest.mark.parametrize("loss, n_outputs", LOSSES)
def test_hessian_is_the_derivative_of_the_gradient(loss, n_outputs):
    X = np.random.default_rng(1).normal(size=(300, 4))
    objective, theta = _objective(loss, n_outputs, X)
    hessian = objective.hessian(theta)
    # Central differences of the analytic gradient: error O(h^2) ~ 1e-10 here.
    columns = [
        (objective(theta + 1e-5 * e)[1] - objective(theta - 1e-5 * e)[1]) / 2e-5
        for e in np.eye(theta.size)
    ]
    np.testing.assert_allclose(hessian, np.column_stack(columns), atol=1e-8)
    # Symmetric to rounding: each diagonal block is one product X^T (h X).
    np.testing.assert_allclose(hessian, hessian.T, rtol=1e-13, atol=1e-16)


@pytest.mark.parametrize("loss, n_outputs", LOSSES)
def test_hessian_agrees_with_the_hessian_products(loss, n_outputs):
    X = np.random.default_rng(2).normal(size=(200, 5))
    objective, theta = _objective(loss, n_outputs, X)
    hessian = objective.hessian(theta)
    direction = np.random.default_rng(3).normal(size=theta.size)
    np.testing.assert_allclose(
        hessian @ direction, objective.hessp(theta, direction), rtol=1e-12, atol=1e-14
    )


def test_hessian_of_sparse_x_and_of_several_row_blocks_equals_the_dense_one():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(3000, 6)) * (rng.random((3000, 6)) < 0.3)
    loss = CategoricalCrossEntropy()
    dense, theta = _objective(loss, 3, X)
    dense.block_rows = 256  # the evaluation runs over blocks of rows of dense X
    sparse, _ = _objective(loss, 3, sp.csr_matrix(X))
    np.testing.assert_allclose(
        sparse.hessian(theta), dense.hessian(theta), rtol=1e-12, atol=1e-15
    )


def test_trust_exact_reproduces_logistic_regression_newton_cholesky():
    X, y = make_classification(
        n_samples=300, n_features=6, n_informative=4, n_classes=3, random_state=0
    )
    ours = SoftLabelClassifier(alpha=1.0, solver="trust-exact", tol=1e-10).fit(X, y)
    theirs = LogisticRegression(solver="newton-cholesky", tol=1e-12, max_iter=100)
    theirs.fit(X, y)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(
        ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-7, atol=1e-9
    )


def test_star98_reaches_the_glm_in_few_iterations():
    """statsmodels' star98: a soft binary target (the share of pupils above the
    median), weights = counts, 20 standardised features. L-BFGS-B stops 4e-4 from
    the GLM's coefficients after more than 1,000 iterations; the full Hessian
    reaches 1e-8 within 20."""
    sm = pytest.importorskip("statsmodels.api")
    data = sm.datasets.star98.load_pandas()
    X = data.exog.to_numpy(float)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    counts = data.endog.to_numpy(float)
    totals = counts.sum(axis=1)
    glm = sm.GLM(counts, sm.add_constant(X), family=sm.families.Binomial())
    reference = glm.fit(tol=1e-14, maxiter=100).params
    clf = SoftLabelClassifier(loss="bce", alpha=0.0, solver="trust-exact", tol=1e-10)
    clf.fit(X, counts[:, 0] / totals, sample_weight=totals)
    assert clf.n_iter_ <= 20
    ours = np.r_[clf.intercept_, clf.coef_.ravel()]
    np.testing.assert_allclose(ours, reference, rtol=1e-8, atol=0)


def test_trust_exact_refuses_what_it_cannot_serve():
    X, y = make_classification(n_samples=40, n_features=4, random_state=0)
    with pytest.raises(ValueError, match="linear models"):
        SoftLabelClassifier(solver="trust-exact", hidden_layer_sizes=(3,)).fit(X, y)
    with pytest.raises(ValueError, match="focal_gamma"):
        SoftLabelClassifier(solver="trust-exact", focal_gamma=2.0).fit(X, y)
    wide = np.zeros((4, 17_000))
    with pytest.raises(ValueError, match=r"dense 17001 x 17001 Hessian \(2\.2 GiB\)"):
        SoftLabelClassifier(loss="bce", solver="trust-exact").fit(wide, [0, 1, 0, 1])
    with pytest.raises(ValueError, match="does not accept"):
        SoftLabelClassifier(solver="trust-exact", solver_options={"maxcor": 5}).fit(
            X, y
        )
    with pytest.raises(ValueError, match="refused"):
        SoftLabelClassifier(
            solver="trust-exact", solver_options={"initial_trust_radius": -1.0}
        ).fit(X, y)
