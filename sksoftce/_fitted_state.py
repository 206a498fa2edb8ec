"""Fitted state: what a solver hands the estimator, published all at once."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np


def _fitted_attributes(estimator):
    """Everything the estimator holds besides its parameters (fitted state)."""
    parameters = set(estimator.get_params(deep=False))
    return {
        name: value for name, value in vars(estimator).items() if name not in parameters
    }


def fit_on_copy(estimator, fit):
    """Run ``fit(work)`` on a shallow copy of ``estimator``; publish it if it completes.

    Nothing is written to ``estimator`` while ``fit`` runs: another thread keeps
    predicting with (or deep-copying) the previous fitted state, and a fit that
    raises, or is interrupted, leaves the estimator exactly as it was, also when
    another thread published a fit meanwhile. The new fitted state replaces the old
    one in a single ``dict.update`` (atomic for other Python threads); attributes
    of the old state that the new one lacks are removed after it.

    Returns
    -------
    What ``fit(work)`` returned.
    """
    work = copy.copy(estimator)
    result = fit(work)
    new = _fitted_attributes(work)
    stale = set(_fitted_attributes(estimator)) - set(new)
    vars(estimator).update(new)
    for name in stale:
        vars(estimator).pop(name, None)
    return result


@dataclass
class SolverResult:
    """What a solver driver hands back to the estimator.

    Attributes
    ----------
    theta : ndarray of shape (n_params,)
        Final (or, with early stopping, best) parameters.
    n_iter : int
        Iterations (SciPy) or epochs (mini-batch solvers) run, at most ``max_iter``.
    loss : float
        Final value of the objective (or of its mini-batch estimate).
    loss_curve : list of float
    converged : bool
        Whether the solver met its stopping criterion before ``max_iter``.
    message : str
        Why it did not converge, for the ``ConvergenceWarning``.
    n_samples_seen : int
        Training rows processed by the solver (``t_``).
    optimize_result : scipy.optimize.OptimizeResult or None
        SciPy's result (of the last round with redrawn mixtures).
    best_loss, validation_scores, best_validation_score
        The mini-batch solvers' stopping state, as ``MLPClassifier`` reports it.
    state : object or None
        What a later ``partial_fit`` continues from.
    """

    theta: np.ndarray
    n_iter: int
    loss: float
    loss_curve: list
    converged: bool
    message: str = ""
    n_samples_seen: int = 0
    optimize_result: object = None
    best_loss: float | None = None
    validation_scores: list | None = None
    best_validation_score: float | None = None
    state: object = field(default=None, repr=False)
