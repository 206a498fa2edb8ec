"""Soft-label cross-entropies on logits: value, gradient and Hessian-vector product.

A loss knows only raw predictions (``logits``, shape ``(n, m)``), targets of the same
shape and normalised sample weights ``w`` (``sum(w) == 1``). It returns the weighted
mean loss ``sum_i w_i * loss_i`` and writes the gradient with respect to the logits,
``w_i * (P_i - T_i)`` for both losses, into a caller-owned buffer.

Categorical cross-entropy (softmax outputs, rows of ``T`` sum to 1)::

    loss_i = logsumexp(z_i) - sum_k t_ik z_ik  = -sum_k t_ik log softmax(z_i)_k

Binary cross-entropy (one sigmoid per output, summed over outputs)::

    loss_i = sum_k softplus(z_ik) - t_ik z_ik  = -sum_k t_ik log p_ik + (1 - t_ik) log(1 - p_ik)

Both are computed without forming ``log(p)``, so they stay finite for logits of any
magnitude and for targets of exactly 0 and 1.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, log_expit, logsumexp


def _row_dot(a, b):
    """``sum_k a_ik * b_ik`` for every row, without a temporary (n, m) array."""
    return np.einsum("ij,ij->i", a, b)


class CategoricalCrossEntropy:
    """Softmax outputs with categorical cross-entropy against soft targets."""

    name = "cce"

    @staticmethod
    def loss_gradient(logits, targets, weights, proba_out, gradient_out):
        """Weighted mean loss; fill ``proba_out`` and ``gradient_out``.

        Parameters
        ----------
        logits, targets : ndarray of shape (n, K)
        weights : ndarray of shape (n,)
            Sample weights normalised to sum to 1.
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

    @staticmethod
    def predict_proba(logits):
        """Softmax of the logits, shape (n, K)."""
        log_proba = logits - logsumexp(logits, axis=1, keepdims=True)
        return np.exp(log_proba, out=log_proba)

    @staticmethod
    def predict_log_proba(logits):
        """Log-softmax of the logits, shape (n, K)."""
        return logits - logsumexp(logits, axis=1, keepdims=True)


class BinaryCrossEntropy:
    """Independent sigmoid outputs with binary cross-entropy, summed over outputs."""

    name = "bce"

    @staticmethod
    def loss_gradient(logits, targets, weights, proba_out, gradient_out):
        """Weighted mean loss; fill ``proba_out`` and ``gradient_out``.

        Parameters
        ----------
        logits, targets : ndarray of shape (n, m)
        weights : ndarray of shape (n,)
            Sample weights normalised to sum to 1.
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

    @staticmethod
    def predict_proba(logits):
        """Sigmoid of the logits (independent marginals), shape (n, m)."""
        return expit(logits)

    @staticmethod
    def predict_log_proba(logits):
        """Log-sigmoid of the logits, shape (n, m)."""
        return log_expit(logits)


LOSSES = {loss.name: loss for loss in (CategoricalCrossEntropy, BinaryCrossEntropy)}
