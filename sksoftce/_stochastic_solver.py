"""The mini-batch driver: adam and sgd, as in scikit-learn's MLP, on an Objective.

The update rules, learning-rate schedules and stopping rule are those of
``sklearn/neural_network/_stochastic_optimizers.py`` and
``MLPClassifier._fit_stochastic``, written on the one flat parameter vector (in the
dtype of ``X``) with preallocated buffers. What differs is the gradient each step
follows: :meth:`~._objective.Objective.batch_loss_gradient`, an unbiased estimate of
the same objective the SciPy solvers minimise.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from ._fitted_state import SolverResult

STOCHASTIC_SOLVERS = frozenset({"adam", "sgd"})


class SGDOptimizer:
    """Stochastic gradient descent with momentum, in place on a flat vector.

    Parameters
    ----------
    params : ndarray of shape (n_params,)
        Only its shape and dtype are read.
    learning_rate_init : float
    lr_schedule : {"constant", "invscaling", "adaptive"}
    momentum : float
    nesterov : bool
    power_t : float
    """

    def __init__(
        self, params, learning_rate_init, lr_schedule, momentum, nesterov, power_t
    ):
        self.learning_rate_init = float(learning_rate_init)
        self.learning_rate = float(learning_rate_init)
        self.lr_schedule = lr_schedule
        self.momentum = float(momentum)
        self.nesterov = nesterov
        self.power_t = float(power_t)
        self.velocity = np.zeros_like(params)
        self._step = np.empty_like(params)

    def update(self, params, grad):
        """``velocity = momentum * velocity - lr * grad``; params += (Nesterov) step."""
        step, velocity = self._step, self.velocity
        np.multiply(grad, self.learning_rate, out=step)
        velocity *= self.momentum
        velocity -= step
        if self.nesterov:
            np.subtract(self.momentum * velocity, step, out=step)
            params += step
        else:
            params += velocity

    def iteration_ends(self, time_step):
        """Invscaling: ``lr = lr_init / (t + 1) ** power_t`` after every epoch."""
        if self.lr_schedule == "invscaling":
            self.learning_rate = (
                self.learning_rate_init / (time_step + 1) ** self.power_t
            )

    def trigger_stopping(self, msg, verbose):
        """Stop, or (adaptive) divide the learning rate by 5 until it is 1e-6."""
        if self.lr_schedule != "adaptive":
            if verbose:
                print(msg + " Stopping.")
            return True
        if self.learning_rate <= 1e-6:
            if verbose:
                print(msg + " Learning rate too small. Stopping.")
            return True
        self.learning_rate /= 5.0
        if verbose:
            print(msg + f" Setting learning rate to {self.learning_rate:f}")
        return False


class AdamOptimizer:
    """Adam (Kingma and Ba, 2014), in place on a flat vector.

    Parameters
    ----------
    params : ndarray of shape (n_params,)
        Only its shape and dtype are read.
    learning_rate_init, beta_1, beta_2, epsilon : float
    """

    def __init__(self, params, learning_rate_init, beta_1, beta_2, epsilon):
        self.learning_rate_init = float(learning_rate_init)
        self.learning_rate = float(learning_rate_init)
        self.beta_1, self.beta_2, self.epsilon = (
            float(beta_1),
            float(beta_2),
            float(epsilon),
        )
        self.t = 0
        self.first_moment = np.zeros_like(params)
        self.second_moment = np.zeros_like(params)
        self._step = np.empty_like(params)

    def update(self, params, grad):
        """One bias-corrected Adam step."""
        self.t += 1
        m, v, step = self.first_moment, self.second_moment, self._step
        m *= self.beta_1
        np.multiply(grad, 1.0 - self.beta_1, out=step)
        m += step
        v *= self.beta_2
        np.square(grad, out=step)
        step *= 1.0 - self.beta_2
        v += step
        self.learning_rate = (
            self.learning_rate_init
            * np.sqrt(1.0 - self.beta_2**self.t)
            / (1.0 - self.beta_1**self.t)
        )
        np.sqrt(v, out=step)
        step += self.epsilon
        np.divide(m, step, out=step)
        step *= self.learning_rate
        params -= step

    def iteration_ends(self, time_step):
        """Nothing to update at the end of an epoch."""

    def trigger_stopping(self, msg, verbose):
        """Always stop."""
        if verbose:
            print(msg + " Stopping.")
        return True


@dataclass
class StochasticState:
    """What carries over from one ``partial_fit`` call (or warm start) to the next."""

    optimizer: object
    rng: np.random.RandomState
    mix_rng: np.random.RandomState
    n_samples_seen: int = 0
    loss_curve: list = field(default_factory=list)
    no_improvement_count: int = 0
    best_loss: float | None = np.inf
    validation_scores: list | None = None
    best_validation_score: float | None = None
    best_theta: np.ndarray | None = None

    def copy(self):
        """A deep copy: a fit works on it and publishes it only if it completes."""
        return copy.deepcopy(self)


class _Batches:
    """Gathers mini-batches of the objective's rows into preallocated buffers."""

    def __init__(self, objective, rows, batch_size):
        X = objective.X
        self.X, self.targets, self.sample_weight = (
            X,
            objective.targets,
            objective.sample_weight,
        )
        self.rows = rows
        self.sparse = sp.issparse(X)
        if not self.sparse:
            self._X = np.empty((batch_size, X.shape[1]), dtype=X.dtype)
        self._targets = np.empty(
            (batch_size, self.targets.shape[1]), dtype=self.targets.dtype, order="F"
        )
        self._weights = np.empty(batch_size, dtype=self.sample_weight.dtype)

    def get(self, positions):
        """``(X, targets, sample_weight)`` of the training rows at ``positions``.

        ``positions`` (a slice or an array) index the training rows, which are
        ``rows`` of the objective's data (all of them when ``rows`` is None).
        """
        if self.rows is None and isinstance(positions, slice):
            return (
                self.X[positions],
                self.targets[positions],
                self.sample_weight[positions],
            )
        indices = positions if self.rows is None else self.rows[positions]
        size = indices.shape[0]
        if self.sparse:
            X = self.X[indices]
        else:
            X = np.take(self.X, indices, axis=0, out=self._X[:size])
        targets = np.take(self.targets, indices, axis=0, out=self._targets[:size])
        weights = np.take(self.sample_weight, indices, out=self._weights[:size])
        return X, targets, weights


def run_epochs(
    objective,
    theta,
    state,
    *,
    rows=None,
    batch_size,
    shuffle,
    max_iter,
    tol,
    n_iter_no_change,
    mixer=None,
    validation_score=None,
    incremental=False,
    verbose=0,
):
    """Epochs of mini-batch steps on ``objective``, as ``MLPClassifier`` runs them.

    Every epoch visits the training rows once, in batches of ``batch_size`` (in a
    new random order when ``shuffle``), and takes one optimizer step per batch
    along :meth:`~._objective.Objective.batch_loss_gradient`. With a ``mixer``,
    every batch is replaced by fresh mixtures of its rows before the step. The
    epoch's loss is the mean of the batch estimates (weighted by batch size), of
    the original rows with a ``mixer``: the loss of fresh mixtures varies with the
    draws of ``lam`` by more than the last epochs improve it, so a stopping rule on
    it stops long before the fit has settled (on digits: after 78 epochs instead
    of 177, 0.5 points of accuracy lower).
    Stopping follows scikit-learn: the fit stops when the epoch loss (or, with a
    ``validation_score``, the validation score) has not improved by ``tol`` for
    more than ``n_iter_no_change`` consecutive epochs (the adaptive schedule
    divides the learning rate by 5 first). An epoch whose loss or parameters are
    not finite ends the fit with the parameters of the last finite epoch.

    Parameters
    ----------
    objective : Objective
        Built with ``max_batch_rows`` large enough for a (mixed) batch.
    theta : ndarray of shape (n_params,), in the objective's dtype
        Updated in place.
    state : StochasticState
        Updated in place.
    rows : ndarray of int, default=None
        Indices of the training rows of the objective's data; all rows if None.
    batch_size : int
    shuffle : bool
    max_iter : int
        Maximum number of epochs.
    tol : float
    n_iter_no_change : int or inf
    mixer : callable, default=None
        ``mixer(X, targets, sample_weight, rng) -> (X, targets, sample_weight)``.
    validation_score : callable, default=None
        ``validation_score(theta) -> float``, higher is better: early stopping.
    incremental : bool, default=False
        Run one epoch (``partial_fit``).
    verbose : int, default=0

    Returns
    -------
    SolverResult
    """
    n_rows = objective.n_samples if rows is None else rows.shape[0]
    batches = _Batches(objective, rows, batch_size)
    grad = np.empty_like(theta)
    last_finite = theta.copy()
    optimizer = state.optimizer
    converged, message, n_iter, diverged = False, "", 0, False
    for _ in range(max_iter):
        # A new permutation of all rows every epoch, so that k calls of
        # partial_fit on the same rows take the steps of one fit of k epochs.
        order = state.rng.permutation(n_rows) if shuffle else None
        accumulated = 0.0
        for start in range(0, n_rows, batch_size):
            stop = min(start + batch_size, n_rows)
            X, targets, weights = batches.get(
                order[start:stop] if shuffle else slice(start, stop)
            )
            fraction = (stop - start) / n_rows
            if mixer is None:
                value = objective.batch_loss_gradient(
                    theta, X, targets, weights, grad, fraction
                )
            else:
                # The loss reported and watched for stopping is that of the original
                # rows: the loss of fresh mixtures is too noisy to tell a plateau.
                value = objective.batch_loss_gradient(
                    theta, X, targets, weights, None, fraction
                )
                X, targets, weights = mixer(X, targets, weights, state.mix_rng)
                objective.batch_loss_gradient(
                    theta, X, targets, weights, grad, fraction
                )
            accumulated += value * (stop - start)
            optimizer.update(theta, grad)
        n_iter += 1
        loss = accumulated / n_rows
        state.n_samples_seen += n_rows
        state.loss_curve.append(loss)
        if verbose:
            print(f"Iteration {n_iter}, loss = {loss:.8f}")
        if not (np.isfinite(loss) and np.all(np.isfinite(theta))):
            if n_iter == 1:
                raise ValueError(
                    "The objective became non-finite in the first epoch; lower "
                    "learning_rate_init or scale the data, e.g. with StandardScaler."
                )
            diverged = True
            theta[...] = last_finite
            message = (
                "The objective became non-finite; the model keeps the parameters of "
                "the last epoch where it was finite. Lower learning_rate_init or "
                "scale the data."
            )
            break
        last_finite[...] = theta
        _update_no_improvement_count(state, theta, loss, tol, validation_score, verbose)
        optimizer.iteration_ends(state.n_samples_seen)
        if state.no_improvement_count > n_iter_no_change:
            what = "Validation score" if validation_score else "Training loss"
            msg = (
                f"{what} did not improve more than tol={tol:f} for "
                f"{n_iter_no_change} consecutive epochs."
            )
            if optimizer.trigger_stopping(msg, verbose):
                first = state.loss_curve[-n_iter]
                converged = not loss > first  # a loss that grew is no convergence
                if not converged:
                    message = (
                        f"The training loss grew from {first:.6g} to {loss:.6g} over "
                        f"{n_iter} epochs: the steps are too large. Lower "
                        "learning_rate_init or scale the data."
                    )
                break
            state.no_improvement_count = 0
        if incremental:
            break
    else:
        if not incremental:
            message = (
                f"Stochastic Optimizer: Maximum iterations ({max_iter}) reached and "
                "the optimization hasn't converged yet."
            )
    if validation_score is not None and state.best_theta is not None:
        theta[...] = state.best_theta
    return SolverResult(
        theta=theta,
        n_iter=n_iter,
        loss=state.loss_curve[-2] if diverged else state.loss_curve[-1],
        loss_curve=state.loss_curve,
        converged=converged or (incremental and not diverged),
        message=message,
        n_samples_seen=state.n_samples_seen,
        best_loss=state.best_loss,
        validation_scores=state.validation_scores,
        best_validation_score=state.best_validation_score,
        state=state,
    )


def _update_no_improvement_count(state, theta, loss, tol, validation_score, verbose):
    """scikit-learn's rule, on the validation score or on the epoch loss."""
    if validation_score is not None:
        score = float(validation_score(theta))
        state.validation_scores.append(score)
        if verbose:
            print(f"Validation score: {score:f}")
        if score < state.best_validation_score + tol:
            state.no_improvement_count += 1
        else:
            state.no_improvement_count = 0
        if score > state.best_validation_score:
            state.best_validation_score = score
            state.best_theta = theta.copy()
    else:
        if loss > state.best_loss - tol:
            state.no_improvement_count += 1
        else:
            state.no_improvement_count = 0
        state.best_loss = min(state.best_loss, loss)
