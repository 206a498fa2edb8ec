"""Network + loss + weights + L2 -> ``f(theta)``, gradient and Hessian products for SciPy.

The objective minimised is, with sample weights ``s_i`` and ``S = sum_i s_i``::

    f(theta) = sum_i s_i * loss_i / S  +  alpha / (2 * S) * ||weights||^2

(intercepts are not penalised). The caller passes ``weights = s / S`` and
``l2 = alpha / S``.
"""

from __future__ import annotations

import contextlib
import functools

import numpy as np
from scipy.optimize import minimize
from threadpoolctl import ThreadpoolController

#: Solvers that need Hessian-vector products, provided for linear models only.
HESSIAN_SOLVERS = frozenset({"Newton-CG", "trust-ncg", "trust-krylov"})
GRADIENT_SOLVERS = frozenset({"L-BFGS-B", "BFGS", "CG"})
SOLVERS = GRADIENT_SOLVERS | HESSIAN_SOLVERS

# The option through which each solver reads ``tol``: a gradient tolerance where
# the solver has one (as LogisticRegression does), the step tolerance otherwise.
_TOL_OPTION = {
    "L-BFGS-B": "gtol",
    "BFGS": "gtol",
    "CG": "gtol",
    "trust-ncg": "gtol",
    "trust-krylov": "gtol",
    "Newton-CG": "xtol",
}


class Objective:
    """Value and gradient (and, for linear models, Hessian products) of the fit.

    Buffers for the network's activations, the probabilities and the gradients
    are allocated once, in the dtype of ``X``; every call reuses them. The
    parameters handed in by SciPy stay float64 and are cast to the dtype of ``X``.

    Parameters
    ----------
    network : Network
    loss : CategoricalCrossEntropy or BinaryCrossEntropy
    X : ndarray or sparse matrix of shape (n, d), float32 or float64
    targets : ndarray of shape (n, m)
    weights : ndarray of shape (n,)
        Sample weights normalised to sum to 1.
    l2 : float
        ``alpha / sum(sample_weight)``.
    """

    def __init__(self, network, loss, X, targets, weights, l2):
        dtype = X.dtype
        n_samples, n_outputs = targets.shape
        self.network, self.loss, self.X, self.l2 = network, loss, X, float(l2)
        self.dtype = dtype
        # (n, m) arrays in Fortran order, as the logits (see Network.allocate).
        self.targets = np.asarray(targets, dtype=dtype, order="F")
        self.weights = np.asarray(weights, dtype=dtype)
        self.work = network.allocate(n_samples, dtype)
        self.proba = np.empty((n_samples, n_outputs), dtype=dtype, order="F")
        self.grad_logits = np.empty((n_samples, n_outputs), dtype=dtype, order="F")
        self.grad = np.empty(network.n_params, dtype=dtype)
        self._proba_at = None  # theta at which self.proba was computed
        self._last = None  # (value, gradient) at self._proba_at

    def __call__(self, theta):
        """Return ``(f, gradient)`` at ``theta`` from one forward and one backward pass."""
        if self._proba_at is not None and np.array_equal(theta, self._proba_at):
            value, gradient = self._last
            return value, gradient.copy()
        params = theta.astype(self.dtype, copy=False)
        logits = self.network.forward(self.X, params, self.work)
        value = self.loss.loss_gradient(
            logits, self.targets, self.weights, self.proba, self.grad_logits
        )
        self.network.backward(self.X, params, self.work, self.grad_logits, self.grad)
        self._proba_at = theta.copy()
        # SciPy keeps references to the gradients it is given: hand out a new array.
        gradient = self.grad.astype(np.float64, copy=True)
        weights = theta[: self.network.n_weights]
        value += 0.5 * self.l2 * float(weights @ weights)
        gradient[: self.network.n_weights] += self.l2 * weights
        self._last = (value, gradient.copy())
        return value, gradient

    def hessp(self, theta, direction):
        """Exact Hessian of a linear model's objective at ``theta`` times ``direction``."""
        if self._proba_at is None or not np.array_equal(theta, self._proba_at):
            self(theta)
        network = self.network
        logit_direction = network.linear_direction(
            self.X, direction.astype(self.dtype, copy=False), self.grad_logits
        )
        curvature = self.loss.hessian_product(
            self.proba, self.weights, logit_direction, self.work.outputs[-1]
        )
        product = np.empty(network.n_params, dtype=self.dtype)
        network.backward(self.X, theta, self.work, curvature, product)
        product = product.astype(np.float64, copy=False)
        product[: network.n_weights] += self.l2 * direction[: network.n_weights]
        return product


@functools.cache
def _other_blas():
    """BLAS libraries loaded besides NumPy's (SciPy's wheels bring their own).

    SciPy's L-BFGS-B runs its vector operations on SciPy's BLAS between two
    evaluations of the objective, whose matrix products run on NumPy's. Each
    OpenBLAS keeps its threads spinning for a while after a call, so with two of
    them on two cores the objective's products lose half the machine (measured:
    31 ms per evaluation alone, 55 ms inside L-BFGS-B). One thread suffices for
    the solver's vector operations on ``n_params`` entries.
    """
    controller = ThreadpoolController()
    blas = [lib.filepath for lib in controller.lib_controllers if lib.user_api == "blas"]
    others = [path for path in blas if "numpy" not in path]
    return controller.select(filepath=others) if len(blas) > 1 and others else None


def optimize(objective, theta0, *, solver, max_iter, tol, solver_options, verbose):
    """Minimise ``objective`` from ``theta0`` with ``scipy.optimize.minimize``.

    Returns
    -------
    result : scipy.optimize.OptimizeResult
    loss_curve : list of float
        The objective at ``theta0``, then after every iteration.
    """
    options = {"maxiter": max_iter, _TOL_OPTION[solver]: tol}
    if solver == "L-BFGS-B":  # as LogisticRegression(solver="lbfgs")
        options.update(maxls=50, ftol=64 * np.finfo(float).eps)
    options.update(solver_options or {})
    loss_curve = [objective(theta0)[0]]

    def record(intermediate_result):
        loss_curve.append(float(intermediate_result.fun))
        if verbose:
            print(f"Iteration {len(loss_curve) - 1}, objective = {loss_curve[-1]:.8g}")

    hessp = objective.hessp if solver in HESSIAN_SOLVERS else None
    other_blas = _other_blas()
    with other_blas.limit(limits=1) if other_blas else contextlib.nullcontext():
        result = minimize(
            objective,
            theta0,
            method=solver,
            jac=True,
            hessp=hessp,
            tol=None,
            callback=record,
            options=options,
        )
    return result, loss_curve
