"""The SciPy driver: ``scipy.optimize.minimize`` on an :class:`~._objective.Objective`.

Full-batch solvers see one fixed data set. With mixup, :func:`minimize_redrawn` draws
fresh mixtures every few iterations and restarts the solver from where it stopped, so
that no solver fits one fixed set of mixtures for the whole fit.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from numbers import Integral

import numpy as np
from scipy.optimize import OptimizeResult, minimize

from ._fitted_state import SolverResult
from ._threads import OTHER_BLAS, lend_blas_threads

#: Solvers that need the full Hessian (a dense matrix), for linear models only.
FULL_HESSIAN_SOLVERS = frozenset({"trust-exact"})
#: Solvers that need Hessian-vector products or the Hessian, for linear models only.
HESSIAN_SOLVERS = frozenset({"Newton-CG", "trust-ncg", "trust-krylov"}) | (
    FULL_HESSIAN_SOLVERS
)
GRADIENT_SOLVERS = frozenset({"L-BFGS-B", "BFGS", "CG"})
SOLVERS = GRADIENT_SOLVERS | HESSIAN_SOLVERS
#: Other spellings of the SciPy methods: scikit-learn's name of L-BFGS-B.
ALIASES = {"lbfgs": "L-BFGS-B"}

# The option through which each solver reads ``tol``: a gradient tolerance where
# the solver has one (as LogisticRegression does), the step tolerance otherwise.
_TOL_OPTION = {
    "L-BFGS-B": "gtol",
    "BFGS": "gtol",
    "CG": "gtol",
    "trust-ncg": "gtol",
    "trust-krylov": "gtol",
    "trust-exact": "gtol",
    "Newton-CG": "xtol",
}
#: Largest dense (n_params, n_params) float64 matrix a solver may store.
DENSE_MATRIX_MAX_BYTES = 2 * 1024**3
#: Solvers that store such a matrix: what it is, and what to use instead.
_DENSE_MATRIX = {
    "BFGS": ("matrix", "solver='L-BFGS-B'"),
    "trust-exact": ("Hessian", "'trust-ncg' (Hessian-vector products) or 'L-BFGS-B'"),
}
# SciPy's status when a callback raised StopIteration.
_CALLBACK_STOP = 99
# Our status when the inner loop of a Hessian solver was stopped.
_INNER_LOOP_LOST = -1


class _InnerLoopLost(Exception):
    """Raised by the Hessian product to stop an inner loop that does not converge."""


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
    "trust-exact": [
        "_trustregion_exact._minimize_trustregion_exact",
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
            method = getattr(
                importlib.import_module(f"scipy.optimize.{module}"), function
            )
        except (ImportError, AttributeError):  # SciPy moved its private functions
            return None
        names.update(
            name
            for name, parameter in inspect.signature(method).parameters.items()
            if parameter.kind is not parameter.VAR_KEYWORD
        )
    return frozenset(names - _NOT_OPTIONS)


def check_solver_options(solver, solver_options, n_params):
    """Raise ValueError for options that ``minimize(method=solver)`` would not take.

    Also for a solver that would store a dense ``n_params`` square matrix larger
    than ``DENSE_MATRIX_MAX_BYTES`` (BFGS, trust-exact).

    ``maxiter`` is ``max_iter``'s; ``callback`` is taken (see :func:`optimize`) and
    must accept SciPy's one argument; ``hess_inv0`` must be ``n_params`` square;
    L-BFGS-B's ``maxcor`` must be a positive integer (SciPy accepts 0 and returns
    the initial parameters). Other values are tried by SciPy itself on a
    one-parameter quadratic: whatever it raises is reported as a ValueError.
    """
    options = dict(solver_options or {})
    if solver in _DENSE_MATRIX and 8 * n_params**2 > DENSE_MATRIX_MAX_BYTES:
        what, instead = _DENSE_MATRIX[solver]
        raise ValueError(
            f"solver={solver!r} stores a dense {n_params} x {n_params} {what} "
            f"({8 * n_params**2 / 1024**3:.1f} GiB) for this model; use {instead}."
        )
    if "maxiter" in options:
        raise ValueError(
            "solver_options must not set 'maxiter'; use the max_iter parameter."
        )
    callback = options.get("callback")
    if callback is not None:
        _check_callback(callback)
    accepted = _accepted_options(solver)
    unknown = sorted(set(options) - accepted) if accepted is not None else []
    if unknown:
        raise ValueError(
            f"solver_options has options that solver={solver!r} does not accept: "
            f"{unknown}; it accepts {sorted(accepted)}."
        )
    if "hess_inv0" in options:
        shape = np.shape(options["hess_inv0"])
        if shape != (n_params, n_params):
            raise ValueError(
                f"solver_options['hess_inv0'] must have shape ({n_params}, "
                f"{n_params}) for this model's {n_params} parameters; got {shape}."
            )
    maxcor = options.get("maxcor")
    if maxcor is not None and (
        not isinstance(maxcor, Integral) or isinstance(maxcor, bool) or maxcor < 1
    ):
        raise ValueError(
            f"solver_options['maxcor'] must be a positive integer; got {maxcor!r}."
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
                **_dry_run_hessian(solver),
                options={**values, "maxiter": 1},
            )
        except Exception as exc:  # SciPy raises bare Exception, OverflowError, ...
            raise ValueError(
                f"solver_options={solver_options!r} were refused by "
                f"scipy.optimize.minimize(method={solver!r}): "
                f"{type(exc).__name__}: {exc}"
            ) from exc


def _dry_run_hessian(solver):
    """The Hessian argument of ``minimize`` for the dry run on ``x**2``."""
    if solver in FULL_HESSIAN_SOLVERS:
        return {"hess": lambda x: np.full((1, 1), 2.0)}
    if solver in HESSIAN_SOLVERS:
        return {"hessp": lambda x, p: 2.0 * p}
    return {}


def _check_callback(callback):
    if not callable(callback):
        raise ValueError(
            f"solver_options['callback'] must be callable; got {callback!r}."
        )
    try:
        signature = inspect.signature(callback)
    except (TypeError, ValueError):  # a builtin without a signature: trust it
        return
    try:
        signature.bind(object())
    except TypeError as exc:
        raise ValueError(
            "solver_options['callback'] must accept one argument, SciPy's "
            f"intermediate_result; {callback!r} does not: {exc}."
        ) from exc


# Options left out of the dry run: the callback, printing, and shapes of the model.
_NOT_DRY_RUN = {"callback", "disp", "iprint", "hess_inv0"}


def _square(x):
    return float(x @ x), 2.0 * x


def _all_finite(x):
    """Whether every entry of float64 ``x`` is finite, without a boolean copy: a sum
    of squares is finite only then (or falls back to the test when it overflows)."""
    squares = float(x @ x)
    return np.isfinite(squares) or bool(np.all(np.isfinite(x)))


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
    kept = np.empty_like(theta0, dtype=np.float64)  # where last_finite's iterate lives

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
        x = intermediate_result.x
        if np.isfinite(value) and _all_finite(x):
            np.copyto(kept, x)  # SciPy updates x in place
            last_finite[:] = kept, value
        if verbose:
            print(f"Iteration {len(loss_curve) - 1}, objective = {value:.8g}")
        if user_callback is not None:
            user_callback(intermediate_result)

    hessian = {}
    if solver in FULL_HESSIAN_SOLVERS:
        hessian["hess"] = objective.hessian
    elif solver in HESSIAN_SOLVERS:
        # trust-ncg's inner conjugate-gradient loop has no iteration limit in
        # SciPy; on badly scaled data it never reaches its tolerance (X * 1e100
        # never returned). In exact arithmetic CG ends within n_params steps;
        # 20 * n_params products between two iterations, as Newton-CG allows,
        # means it is lost. A non-finite product (overflow) ends it too: SciPy's
        # trust-region subproblems raise on one instead of returning.
        limit = 20 * max(theta0.shape[0], 1) + 20
        products = [0]

        def hessp(theta, direction):
            products[0] += 1
            if products[0] > limit:
                raise _InnerLoopLost(f"ran {limit} Hessian products without converging")
            product = objective.hessp(theta, direction)
            if not np.all(np.isfinite(product)):  # SciPy's CG would raise on it
                raise _InnerLoopLost("met a non-finite Hessian product")
            return product

        hessian["hessp"] = hessp
        counted_record = record

        def record(intermediate_result):
            products[0] = 0
            counted_record(intermediate_result)

    try:
        # Overflow inside SciPy's own vector algebra shows up as non-finite
        # iterates, which are handled below and reported in the warning.
        # The full Hessian is built in one thread with threaded BLAS: trust-exact
        # fits keep BLAS as it is.
        threads = (
            contextlib.nullcontext()
            if solver in FULL_HESSIAN_SOLVERS
            else lend_blas_threads(objective)
        )
        with OTHER_BLAS, threads, np.errstate(over="ignore", invalid="ignore"):
            result = minimize(
                fun,
                theta0,
                method=solver,
                jac=True,
                **hessian,
                tol=None,
                callback=record,
                options=options,
            )
    except (_InnerLoopLost, ValueError) as exc:
        # SciPy's trust-region subproblems take norms with check_finite: an
        # overflow in their own vector algebra raises instead of returning.
        overflowed = isinstance(exc, ValueError) and "infs or NaNs" in str(exc)
        if not (isinstance(exc, _InnerLoopLost) or overflowed):
            raise
        what = "overflowed" if overflowed else exc.args[0]
        result = OptimizeResult(
            x=last_finite[0],
            fun=np.nan if last_finite[1] is None else last_finite[1],
            success=False,
            status=_INNER_LOOP_LOST,
            message=(f"the inner conjugate-gradient loop {what} (badly scaled data?)"),
            nit=len(loss_curve) - 1,
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


def _not_converged_message(solver, result, n_iter):
    recovered = (
        " The objective became non-finite; the model keeps the last iterate where "
        "it was finite."
        if result.get("nan_recovered")
        else ""
    )
    return (
        f"{solver} did not converge: {result.message} (status {result.status}, "
        f"{n_iter} iterations).{recovered} Increase max_iter, loosen tol or scale "
        "the data, e.g. with StandardScaler."
    )


def minimize_objective(
    objective, theta0, *, solver, max_iter, tol, solver_options, verbose
):
    """:func:`optimize` on one fixed data set, as a :class:`SolverResult`."""
    result, loss_curve = optimize(
        objective,
        theta0,
        solver=solver,
        max_iter=max_iter,
        tol=tol,
        solver_options=solver_options,
        verbose=verbose,
    )
    n_iter = min(int(result.get("nit", max_iter)), max_iter)
    converged = bool(result.success) and n_iter < max_iter
    return SolverResult(
        theta=result.x,
        n_iter=n_iter,
        loss=float(result.fun),
        loss_curve=loss_curve,
        converged=converged,
        message="" if converged else _not_converged_message(solver, result, n_iter),
        n_samples_seen=n_iter * objective.n_samples,
        optimize_result=result,
    )


def minimize_redrawn(
    objective,
    draw_objective,
    theta0,
    *,
    solver,
    max_iter,
    redraw_every,
    tol,
    n_iter_no_change,
    solver_options,
    verbose,
):
    """Minimise objectives whose data are drawn anew every ``redraw_every`` iterations.

    Each round draws a new objective (new mixtures) and runs at most
    ``redraw_every`` iterations of the solver on it, from where the previous round
    stopped. After every round, ``objective`` (the original rows) is evaluated: as
    scikit-learn's MLP does with epoch losses, the fit has converged when it has not
    improved on its best by ``tol`` for more than ``n_iter_no_change`` consecutive
    rounds. (The drawn objectives' own values vary with the draws by more than the
    last rounds improve them.) ``max_iter`` bounds the iterations of all rounds
    together; a round counts at least one.

    Parameters
    ----------
    objective : Objective
        The objective on the original rows: what is reported and watched.
    draw_objective : callable
        Returns a new :class:`~._objective.Objective` on every call.
    theta0 : ndarray of shape (n_params,)

    Returns
    -------
    SolverResult
        ``loss_curve`` holds ``objective`` at ``theta0``, then after every round.
    """
    theta = theta0
    loss_curve = [float(objective(theta)[0])]
    n_iter, n_samples_seen = 0, 0
    best, no_improvement = loss_curve[0], 0
    converged, message = False, ""
    while n_iter < max_iter:
        drawn = draw_objective()
        result, _ = optimize(
            drawn,
            theta,
            solver=solver,
            max_iter=min(redraw_every, max_iter - n_iter),
            tol=tol,
            solver_options=solver_options,
            verbose=verbose,
        )
        theta = result.x
        round_iter = max(int(result.get("nit", 1)), 1)
        n_iter += round_iter
        n_samples_seen += round_iter * drawn.n_samples
        loss_curve.append(float(objective(theta)[0]))
        if result.get("nan_recovered") or result.status in (
            _CALLBACK_STOP,
            _INNER_LOOP_LOST,
        ):
            message = _not_converged_message(solver, result, n_iter)
            break
        no_improvement = no_improvement + 1 if loss_curve[-1] > best - tol else 0
        best = min(best, loss_curve[-1])
        if no_improvement > n_iter_no_change:
            converged = True
            break
    else:
        message = (
            f"{solver} with mixtures redrawn every {redraw_every} iterations did not "
            f"converge: the objective on the original rows still improved by more "
            f"than tol={tol} within the last {n_iter_no_change} rounds at "
            f"max_iter={max_iter}. Increase max_iter."
        )
    return SolverResult(
        theta=theta,
        n_iter=min(n_iter, max_iter),
        loss=loss_curve[-1],
        loss_curve=loss_curve,
        converged=converged,
        message=message,
        n_samples_seen=n_samples_seen,
        optimize_result=result,
    )
