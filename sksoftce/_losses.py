"""Soft-label cross-entropies on logits, each with its output head.

A loss knows only raw predictions (``logits``, shape ``(n, m)``), targets of the same
shape and per-row weights ``w``. It returns ``sum_i w_i * loss_i`` and writes the
gradient with respect to the logits, ``w_i * (P_i - T_i)`` for both losses, into a
caller-owned buffer.

Categorical cross-entropy (softmax outputs, rows of ``T`` sum to 1)::

    loss_i = logsumexp(z_i) - sum_k t_ik z_ik  = -sum_k t_ik log softmax(z_i)_k

Binary cross-entropy (one sigmoid per output, summed over outputs)::

    loss_i = sum_k softplus(z_ik) - t_ik z_ik  = -sum_k t_ik log p_ik + (1 - t_ik) log(1 - p_ik)

Both are computed without forming ``log(p)``, so they stay finite for logits of any
magnitude and for targets of exactly 0 and 1.

Each loss also owns its output head, as scikit-learn's ``HalfBinomialLoss`` owns
``predict_proba``: how many outputs a problem with ``K`` classes needs, how the
``(n, K)`` class probabilities (or label marginals) map onto those outputs, and how
logits map back to ``(n, K)`` log-probabilities. The estimator never branches on
"binary BCE has one output".
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, log_expit, logsumexp

from ._targets import BINARY, MULTILABEL


def _row_dot(a, b):
    """``sum_k a_ik * b_ik`` for every row, without a temporary (n, m) array."""
    return np.einsum("ij,ij->i", a, b)


class CategoricalCrossEntropy:
    """Softmax outputs with categorical cross-entropy against soft targets."""

    name = "cce"
    out_activation = "softmax"

    # ------------------------------------------------------------- output head
    @staticmethod
    def n_outputs(n_classes, target_type):
        """One softmax unit per class."""
        return n_classes

    @staticmethod
    def output_targets(probabilities, target_type, label_smoothing=0.0):
        """Targets of the outputs: the class probabilities, smoothed towards 1/K."""
        eps = label_smoothing
        if eps == 0:
            return probabilities
        return probabilities * (1.0 - eps) + eps / probabilities.shape[1]

    @staticmethod
    def predict_log_proba(logits, target_type):
        """Log-softmax of the logits, shape (n, K)."""
        return logits - logsumexp(logits, axis=1, keepdims=True)

    # ------------------------------------------------------------------- loss
    @staticmethod
    def loss_gradient(logits, targets, weights, proba_out, gradient_out):
        """Weighted loss sum; fill ``proba_out`` and ``gradient_out``.

        Parameters
        ----------
        logits, targets : ndarray of shape (n, K)
        weights : ndarray of shape (n,)
            Weight of every row's loss.
        proba_out, gradient_out : ndarray of shape (n, K)
            Buffers for the softmax and for ``weights * (proba - targets)``.

        Returns
        -------
        float
        """
        row_max = logits.max(axis=1, keepdims=True)  # (n, 1)
        np.subtract(logits, row_max, out=proba_out)
        np.exp(proba_out, out=proba_out)
        norm = proba_out.sum(axis=1)  # (n,)
        proba_out /= norm[:, None]
        loss_rows = row_max[:, 0] + np.log(norm) - _row_dot(targets, logits)
        np.subtract(proba_out, targets, out=gradient_out)
        gradient_out *= weights[:, None]
        return float(weights.astype(np.float64) @ loss_rows)

    @staticmethod
    def hessian_product(proba, weights, direction, out):
        """Hessian of the loss in logit space applied to ``direction`` (n, K)."""
        np.multiply(proba, direction, out=out)
        out -= proba * out.sum(axis=1, keepdims=True)
        out *= weights[:, None]
        return out


class BinaryCrossEntropy:
    """Independent sigmoid outputs with binary cross-entropy, summed over outputs."""

    name = "bce"
    out_activation = "logistic"

    # ------------------------------------------------------------- output head
    @staticmethod
    def n_outputs(n_classes, target_type):
        """One sigmoid per class, or a single one for a binary problem."""
        return 1 if target_type == BINARY else n_classes

    @staticmethod
    def output_targets(probabilities, target_type, label_smoothing=0.0):
        """Targets of the sigmoids, smoothed towards 1/2.

        A binary problem's single output is the probability of the second class.
        """
        if target_type == BINARY:
            probabilities = probabilities[:, 1:]
        eps = label_smoothing
        if eps == 0:
            return probabilities
        return probabilities * (1.0 - eps) + eps / 2.0

    @staticmethod
    def predict_log_proba(logits, target_type):
        """Log-probabilities of the K classes (or labels), shape (n, K).

        Binary: ``[log(1 - p), log(p)]`` of the single sigmoid. Multi-label: the
        independent log-marginals. Multiclass: the sigmoids normalised to sum to 1,
        as one-vs-rest does.
        """
        if target_type == BINARY:
            return log_expit(np.hstack([-logits, logits]))
        log_marginals = log_expit(logits)
        if target_type == MULTILABEL:
            return log_marginals
        return log_marginals - logsumexp(log_marginals, axis=1, keepdims=True)

    # ------------------------------------------------------------------- loss
    @staticmethod
    def loss_gradient(logits, targets, weights, proba_out, gradient_out):
        """Weighted loss sum; fill ``proba_out`` and ``gradient_out``.

        Parameters
        ----------
        logits, targets : ndarray of shape (n, m)
        weights : ndarray of shape (n,)
            Weight of every row's loss.
        proba_out, gradient_out : ndarray of shape (n, m)
            Buffers for the sigmoids and for ``weights * (proba - targets)``.

        Returns
        -------
        float
        """
        np.logaddexp(0.0, logits, out=gradient_out)  # softplus, used as scratch
        loss_rows = gradient_out.sum(axis=1) - _row_dot(targets, logits)
        expit(logits, out=proba_out)
        np.subtract(proba_out, targets, out=gradient_out)
        gradient_out *= weights[:, None]
        return float(weights.astype(np.float64) @ loss_rows)

    @staticmethod
    def hessian_product(proba, weights, direction, out):
        """Hessian of the loss in logit space applied to ``direction`` (n, m)."""
        np.subtract(1.0, proba, out=out)
        out *= proba
        out *= direction
        out *= weights[:, None]
        return out


LOSSES = {loss.name: loss for loss in (CategoricalCrossEntropy, BinaryCrossEntropy)}
#: The loss of each output activation: what prediction reads from fitted state.
HEADS = {loss.out_activation: loss for loss in LOSSES.values()}
