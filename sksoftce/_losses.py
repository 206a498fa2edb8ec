"""Soft-label cross-entropies on logits, each with its output head.

A loss knows only raw predictions (``logits``, shape ``(n, m)``), targets of the same
shape and per-row weights ``w``. It returns ``sum_i w_i * loss_i`` and writes the
gradient with respect to the logits, ``w_i * (P_i - T_i)`` for both losses, into a
caller-owned buffer.

Categorical cross-entropy (softmax outputs, rows of ``T`` sum to 1)::

    loss_i = logsumexp(z_i) - sum_k t_ik z_ik  = -sum_k t_ik log softmax(z_i)_k

Binary cross-entropy (one sigmoid per output, summed over outputs)::

    loss_i = sum_k softplus(z_ik) - t_ik z_ik
           = -sum_k t_ik log p_ik + (1 - t_ik) log(1 - p_ik)

Both are computed without forming ``log(p)``, so they stay finite for logits of any
magnitude and for targets of exactly 0 and 1.

Options (the defaults take the plain code paths, bit for bit):

- ``temperature`` T: the loss of ``softmax(z / T)`` (or ``sigmoid(z / T)``); its
  gradient with respect to the logits ``z`` carries the factor ``1 / T``, its Hessian
  ``1 / T**2``. Predictions use T = 1.
- ``focal_gamma`` gamma: the focal forms. CCE: each class term ``-t_k log p_k``
  weighted by ``(1 - p_k)**gamma``; BCE: each output's cross-entropy weighted by
  ``(1 - p_t)**gamma`` with ``p_t = p t + (1 - p)(1 - t)`` (torchvision's
  ``sigmoid_focal_loss`` without its alpha). Gradients are exact; no Hessian.
- ``pos_weight`` (BCE): ``-(w_k t log p + (1 - t) log(1 - p))`` per output k, as
  PyTorch's ``BCEWithLogitsLoss(pos_weight=...)``.

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


def _focal_factor(one_minus, gamma):
    """``(1 - p)**gamma`` and ``gamma * (1 - p)**(gamma - 1)``, finite at ``1 - p = 0``.

    Where ``1 - p`` is 0 the second factor multiplies a term that is 0 as well
    (``p (1 - p)`` or ``p log p``): it is set to 0 there.
    """
    weight = one_minus**gamma
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = np.where(one_minus > 0, gamma * weight / one_minus, 0.0)
    return weight, slope


class CategoricalCrossEntropy:
    """Softmax outputs with categorical cross-entropy against soft targets.

    Parameters
    ----------
    temperature : float, default=1.0
        Train on ``softmax(logits / temperature)``.
    focal_gamma : float, default=0.0
        Weight each class term ``-t_k log p_k`` by ``(1 - p_k)**focal_gamma``.
    """

    name = "cce"
    out_activation = "softmax"

    def __init__(self, temperature=1.0, focal_gamma=0.0):
        self.temperature = float(temperature)
        self.focal_gamma = float(focal_gamma)

    @property
    def has_hessian(self):
        """Whether :meth:`hessian_product` and :meth:`curvature_pairs` are available
        (not for the focal form)."""
        return self.focal_gamma == 0

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
    def loss_gradient(self, logits, targets, weights, proba_out, gradient_out):
        """Weighted loss sum; fill ``proba_out`` and ``gradient_out``.

        Parameters
        ----------
        logits, targets : ndarray of shape (n, K)
        weights : ndarray of shape (n,)
            Weight of every row's loss.
        proba_out, gradient_out : ndarray of shape (n, K)
            Buffers for the softmax (of ``logits / temperature``) and for the
            gradient with respect to ``logits``, ``weights * (proba - targets)``
            for the plain loss.

        Returns
        -------
        float
        """
        if self.temperature != 1.0:
            logits = np.multiply(logits, 1.0 / self.temperature, out=gradient_out)
        row_max = logits.max(axis=1, keepdims=True)  # (n, 1)
        np.subtract(logits, row_max, out=proba_out)
        np.exp(proba_out, out=proba_out)
        norm = proba_out.sum(axis=1)  # (n,)
        proba_out /= norm[:, None]
        if self.focal_gamma == 0:
            loss_rows = row_max[:, 0] + np.log(norm) - _row_dot(targets, logits)
            np.subtract(proba_out, targets, out=gradient_out)
        else:
            log_proba = logits - (row_max + np.log(norm)[:, None])  # (n, K)
            weight, slope = _focal_factor(1.0 - proba_out, self.focal_gamma)
            loss_rows = -_row_dot(targets, weight * log_proba)
            # d loss / d z_j = -t_j g_j + p_j sum_k t_k g_k, with
            # g_k = (1 - p_k)**gamma - gamma (1 - p_k)**(gamma - 1) p_k log p_k.
            targets_g = targets * (weight - slope * proba_out * log_proba)
            np.multiply(
                proba_out, targets_g.sum(axis=1, keepdims=True), out=gradient_out
            )
            gradient_out -= targets_g
        row_weights = weights if self.temperature == 1.0 else weights / self.temperature
        gradient_out *= row_weights[:, None]
        return float(weights.astype(np.float64) @ loss_rows)

    def hessian_product(self, proba, weights, direction, out):
        """Hessian of the loss in logit space applied to ``direction`` (n, K)."""
        np.multiply(proba, direction, out=out)
        out -= proba * out.sum(axis=1, keepdims=True)
        if self.temperature != 1.0:
            weights = weights / self.temperature**2
        out *= weights[:, None]
        return out

    def curvature_pairs(self, proba, weights):
        """The logit-space Hessian entries ``(k, j, h)`` for ``k <= j``.

        ``h`` (n,) holds every row's ``d^2 loss / dz_k dz_j``: the weighted
        ``p_k (delta_kj - p_j)``, over ``temperature**2``. The full Hessian of a
        linear model is built from these (:meth:`~._objective.Objective.hessian`).
        """
        weights = weights / self.temperature**2
        n_outputs = proba.shape[1]
        for k in range(n_outputs):
            weighted = weights * proba[:, k]
            for j in range(k, n_outputs):
                h = -weighted * proba[:, j]
                if j == k:
                    h += weighted
                yield k, j, h


class BinaryCrossEntropy:
    """Independent sigmoid outputs with binary cross-entropy, summed over outputs.

    Parameters
    ----------
    temperature : float, default=1.0
        Train on ``sigmoid(logits / temperature)``.
    focal_gamma : float, default=0.0
        Weight each output's cross-entropy by ``(1 - p_t)**focal_gamma``.
    pos_weight : ndarray of shape (n_outputs,) or None, default=None
        Weight of the positive term of each output.
    """

    name = "bce"
    out_activation = "logistic"

    def __init__(self, temperature=1.0, focal_gamma=0.0, pos_weight=None):
        self.temperature = float(temperature)
        self.focal_gamma = float(focal_gamma)
        self.pos_weight = None if pos_weight is None else np.asarray(pos_weight, float)

    @property
    def has_hessian(self):
        """Whether :meth:`hessian_product` and :meth:`curvature_pairs` are
        available (not with focal_gamma or pos_weight, whose curvature depends on
        the targets)."""
        return self.focal_gamma == 0 and self.pos_weight is None

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
    def loss_gradient(self, logits, targets, weights, proba_out, gradient_out):
        """Weighted loss sum; fill ``proba_out`` and ``gradient_out``.

        Parameters
        ----------
        logits, targets : ndarray of shape (n, m)
        weights : ndarray of shape (n,)
            Weight of every row's loss.
        proba_out, gradient_out : ndarray of shape (n, m)
            Buffers for the sigmoids (of ``logits / temperature``) and for the
            gradient with respect to ``logits``, ``weights * (proba - targets)``
            for the plain loss.

        Returns
        -------
        float
        """
        plain = self.focal_gamma == 0 and self.pos_weight is None
        if self.temperature == 1.0 and plain:
            np.logaddexp(0.0, logits, out=gradient_out)  # softplus, used as scratch
            loss_rows = gradient_out.sum(axis=1) - _row_dot(targets, logits)
            expit(logits, out=proba_out)
            np.subtract(proba_out, targets, out=gradient_out)
            gradient_out *= weights[:, None]
            return float(weights.astype(np.float64) @ loss_rows)
        z = logits / self.temperature if self.temperature != 1.0 else logits
        expit(z, out=proba_out)
        softplus = np.logaddexp(0.0, z)  # -log(1 - p)
        if self.pos_weight is None:
            loss = softplus - targets * z
            np.subtract(proba_out, targets, out=gradient_out)
        else:
            # -log p = softplus(z) - z
            positive = targets * self.pos_weight  # (n, m)
            loss = positive * (softplus - z) + (1.0 - targets) * softplus
            np.multiply(proba_out, positive + 1.0 - targets, out=gradient_out)
            gradient_out -= positive
        if self.focal_gamma != 0:
            # (1 - p_t) = p + t - 2 p t, whose derivative is (1 - 2 t) p (1 - p).
            one_minus = proba_out + targets - 2.0 * proba_out * targets
            weight, slope = _focal_factor(one_minus, self.focal_gamma)
            gradient_out *= weight
            gradient_out += (
                slope * (1.0 - 2.0 * targets) * proba_out * (1.0 - proba_out) * loss
            )
            loss = weight * loss
        row_weights = weights if self.temperature == 1.0 else weights / self.temperature
        gradient_out *= row_weights[:, None]
        return float(weights.astype(np.float64) @ loss.sum(axis=1))

    def hessian_product(self, proba, weights, direction, out):
        """Hessian of the loss in logit space applied to ``direction`` (n, m)."""
        np.subtract(1.0, proba, out=out)
        out *= proba
        out *= direction
        if self.temperature != 1.0:
            weights = weights / self.temperature**2
        out *= weights[:, None]
        return out

    def curvature_pairs(self, proba, weights):
        """The logit-space Hessian entries ``(k, k, h)``: outputs are independent.

        ``h`` (n,) holds the weighted ``p_k (1 - p_k)``, over ``temperature**2``.
        """
        weights = weights / self.temperature**2
        for k in range(proba.shape[1]):
            yield k, k, weights * proba[:, k] * (1.0 - proba[:, k])


LOSSES = {loss.name: loss() for loss in (CategoricalCrossEntropy, BinaryCrossEntropy)}
#: The loss of each output activation: what prediction reads from fitted state.
HEADS = {loss.out_activation: loss for loss in LOSSES.values()}
