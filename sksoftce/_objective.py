"""Network + loss + weights + L2 -> ``f(theta)``, gradient and Hessian products for SciPy.

The objective minimised is, with sample weights ``s_i`` and ``S = sum_i s_i``::

    f(theta) = sum_i s_i * loss_i / S  +  alpha / (2 * S) * ||weights||^2

(intercepts are not penalised). The caller passes ``weights = s / S`` and
``l2 = alpha / S``.
"""

from __future__ import annotations

import contextlib
import functools
import inspect

import numpy as np
import scipy.sparse as sp
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


#: Bytes of X and activations per block of rows of an evaluation over dense X: the
#: block stays in cache from the forward pass to the backward pass, and the
#: activations take one block's memory instead of n rows'. Medians of 15 alternating
#: evaluations on 2 cores, d=100, K=10, blocked vs unblocked: 107.6 vs 121.4 ms for a
#: (256, 128) MLP at n=20,000, 34.0 vs 35.3 ms for (100,), 59.2 vs 60.5 ms for a
#: linear model at n=200,000.
_BLOCK_BYTES = 2**22


class Objective:
    """Value and gradient (and, for linear models, Hessian products) of the fit.

    An evaluation runs over blocks of rows of dense ``X``: forward pass, loss and
    backward pass of one block while its rows are still in cache, the parameter
    gradients of the blocks summed in order. Sparse ``X`` is one block.

    Buffers (one block's activations, the probabilities, the gradients) are
    allocated once, in the dtype of ``X``; every call reuses them. The parameters
    handed in by SciPy stay float64 and are cast to the dtype of ``X``.

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
        self.proba = np.empty((n_samples, n_outputs), dtype=dtype, order="F")
        self.grad_logits = np.empty((n_samples, n_outputs), dtype=dtype, order="F")
        block_rows = n_samples
        if not sp.issparse(X):
            row_bytes = dtype.itemsize * sum(network.layer_sizes)
            block_rows = min(n_samples, max(256, _BLOCK_BYTES // row_bytes))
        self.blocks = [
            (start, min(start + block_rows, n_samples))
            for start in range(0, n_samples, block_rows)
        ]
        self.work = network.allocate(block_rows, dtype)
        self.grad = np.empty(network.n_params, dtype=dtype)
        self._block_grad = np.empty(network.n_params, dtype=dtype)
        self._proba_at = None  # theta at which self.proba was computed
        self._last = None  # (value, gradient) at self._proba_at

    def _over_blocks(self, step):
        """Sum ``step(X_block, rows, work, grad_out)`` and its gradients over blocks.

        ``step`` writes the block's parameter gradient into ``grad_out`` and returns
        the block's value. Returns the total value and gradient (a new float64 array).
        """
        total = 0.0
        for index, (start, stop) in enumerate(self.blocks):
            X_block = self.X[start:stop] if len(self.blocks) > 1 else self.X
            work = self.work.head(stop - start)
            grad_out = self._block_grad if index else self.grad
            total += step(X_block, slice(start, stop), work, grad_out)
            if index:
                self.grad += self._block_grad
        return total, self.grad.astype(np.float64)

    def __call__(self, theta):
        """Return ``(f, gradient)`` at ``theta`` from one forward and one backward pass."""
        if self._proba_at is not None and np.array_equal(theta, self._proba_at):
            value, gradient = self._last
            return value, gradient.copy()
        params = theta.astype(self.dtype, copy=False)
        network, loss = self.network, self.loss

        def step(X_block, rows, work, grad_out):
            logits = network.forward(X_block, params, work)
            value = loss.loss_gradient(
                logits,
                self.targets[rows],
                self.weights[rows],
                self.proba[rows],
                self.grad_logits[rows],
            )
            network.backward(X_block, params, work, self.grad_logits[rows], grad_out)
            return value

        value, gradient = self._over_blocks(step)
        self._proba_at = theta.copy()
        weights = theta[: network.n_weights]
        value += 0.5 * self.l2 * float(weights @ weights)
        gradient[: network.n_weights] += self.l2 * weights
        # SciPy keeps references to the gradients it is given: keep a copy.
        self._last = (value, gradient.copy())
        return value, gradient

    def hessp(self, theta, direction):
        """Exact Hessian of a linear model's objective at ``theta`` times ``direction``."""
        if self._proba_at is None or not np.array_equal(theta, self._proba_at):
            self(theta)
        network, loss = self.network, self.loss
        direction_cast = direction.astype(self.dtype, copy=False)

        def step(X_block, rows, work, grad_out):
            logit_direction = network.linear_direction(
                X_block, direction_cast, self.grad_logits[rows]
            )
            curvature = loss.hessian_product(
                self.proba[rows], self.weights[rows], logit_direction, work.outputs[-1]
            )
            network.backward(X_block, theta, work, curvature, grad_out)
            return 0.0

        _, product = self._over_blocks(step)
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


#: Names of the functions behind ``minimize(method=...)``, to read the options each
#: accepts; the trust-region methods pass theirs on to ``_minimize_trust_region``.
_METHOD_FUNCTIONS = {
    "L-BFGS-B": ["_minimize._minimize_lbfgsb"],
    "BFGS": ["_minimize._minimize_bfgs"],
    "CG": ["_minimize._minimize_cg"],
    "Newton-CG": ["_minimize._minimize_newtoncg"],
    "trust-ncg": ["_trustregion._minimize_trust_region"],
    "trust-krylov": [
        "_minimize._minimize_trust_krylov",
        "_trustregion._minimize_trust_region",
    ],
}
# Arguments of minimize itself, which the estimator sets.
_NOT_OPTIONS = {"fun", "x0", "args", "jac", "hess", "hessp", "bounds", "constraints"}


@functools.cache
def _accepted_options(solver):
    """Option names the SciPy method accepts, or None where SciPy does not tell."""
    import importlib

    names = set()
    for path in _METHOD_FUNCTIONS[solver]:
        module, function = path.split(".")
        try:
            method = getattr(importlib.import_module(f"scipy.optimize.{module}"), function)
        except (ImportError, AttributeError):  # SciPy moved its private functions
            return None
        names.update(
            name
            for name, parameter in inspect.signature(method).parameters.items()
            if parameter.kind is not parameter.VAR_KEYWORD
        )
    return frozenset(names - _NOT_OPTIONS)


def check_solver_options(solver, solver_options):
    """Raise ValueError for options that ``minimize(method=solver)`` would not take.

    ``maxiter`` is ``max_iter``'s; ``callback`` is taken (see :func:`optimize`).
    """
    options = dict(solver_options or {})
    if "maxiter" in options:
        raise ValueError(
            "solver_options must not set 'maxiter'; use the max_iter parameter."
        )
    callback = options.get("callback")
    if callback is not None and not callable(callback):
        raise ValueError(
            f"solver_options['callback'] must be callable; got {callback!r}."
        )
    accepted = _accepted_options(solver)
    unknown = sorted(set(options) - accepted) if accepted is not None else []
    if unknown:
        raise ValueError(
            f"solver_options has options that solver={solver!r} does not accept: "
            f"{unknown}; it accepts {sorted(accepted)}."
        )
    # Let SciPy check the values on a one-parameter quadratic, one iteration.
    values = {k: v for k, v in options.items() if k not in _NOT_DRY_RUN}
    if values:
        try:
            minimize(
                _square,
                np.ones(1),
                method=solver,
                jac=True,
                hessp=(lambda x, p: 2.0 * p) if solver in HESSIAN_SOLVERS else None,
                options={**values, "maxiter": 1},
            )
        except (ValueError, TypeError) as exc:
            raise ValueError(
                f"solver_options={solver_options!r} were refused by "
                f"scipy.optimize.minimize(method={solver!r}): {exc}"
            ) from exc


# Options left out of the dry run: the callback, printing, and shapes of the model.
_NOT_DRY_RUN = {"callback", "disp", "iprint", "hess_inv0"}


def _square(x):
    return float(x @ x), 2.0 * x


def optimize(objective, theta0, *, solver, max_iter, tol, solver_options, verbose):
    """Minimise ``objective`` from ``theta0`` with ``scipy.optimize.minimize``.

    ``solver_options`` may hold a ``callback``: it is called after every iteration
    with SciPy's ``intermediate_result`` and may raise ``StopIteration`` to stop.

    Returns
    -------
    result : scipy.optimize.OptimizeResult
        Where the solver ended on a non-finite objective or parameters, ``x`` and
        ``fun`` are those of the last iterate where both were finite (``theta0``
        if none was) and ``nan_recovered`` is set.
    loss_curve : list of float
        The objective at ``theta0``, then after every iteration.
    """
    options = {"maxiter": max_iter, _TOL_OPTION[solver]: tol}
    if solver == "L-BFGS-B":  # as LogisticRegression(solver="lbfgs")
        options.update(maxls=50, ftol=64 * np.finfo(float).eps)
    options.update(solver_options or {})
    user_callback = options.pop("callback", None)
    loss_curve = []
    last_finite = [theta0, None]  # last iterate with a finite objective, its value

    def fun(theta):
        value, gradient = objective(theta)
        if not loss_curve:  # every solver evaluates theta0 first
            loss_curve.append(float(value))
            if np.isfinite(value):
                last_finite[1] = float(value)
        return value, gradient

    def record(intermediate_result):
        value = float(intermediate_result.fun)
        loss_curve.append(value)
        if np.isfinite(value) and np.all(np.isfinite(intermediate_result.x)):
            last_finite[:] = intermediate_result.x.copy(), value
        if verbose:
            print(f"Iteration {len(loss_curve) - 1}, objective = {value:.8g}")
        if user_callback is not None:
            user_callback(intermediate_result)

    hessp = objective.hessp if solver in HESSIAN_SOLVERS else None
    other_blas = _other_blas()
    with other_blas.limit(limits=1) if other_blas else contextlib.nullcontext():
        result = minimize(
            fun,
            theta0,
            method=solver,
            jac=True,
            hessp=hessp,
            tol=None,
            callback=record,
            options=options,
        )
    if not (np.isfinite(result.fun) and np.all(np.isfinite(result.x))):
        result.x, result.fun = last_finite
        result.nan_recovered = True
        if result.fun is None:  # the objective at theta0 was not finite either
            raise ValueError(
                "The objective is not finite at the initial parameters; check the "
                "scale of X."
            )
    return result, loss_curve
