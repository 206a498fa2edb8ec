"""Metrics of predicted probabilities against hard or soft targets.

Every metric reads ``y_true`` in any form :class:`~sksoftce.SoftLabelClassifier`
accepts and compares the target matrix ``T`` with the predicted probabilities ``P``
(same shape). Single-label targets compare rows of class probabilities;
multi-label targets are scored per label, as binary problems, and averaged over
labels (accuracy excepted: it is subset accuracy).
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
from scipy.special import xlogy
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from sklearn.utils.validation import (
    _check_sample_weight,
    check_array,
    check_consistent_length,
)

from .._targets import MULTILABEL, encode_targets, row_sum_tolerance

_COMMON = {
    "y_true": ["array-like", "sparse matrix"],
    "y_pred": ["array-like"],
    "sample_weight": ["array-like", None],
    "labels": ["array-like", None],
    "multilabel": [StrOptions({"auto"}), "boolean"],
}


def _check_targets_and_proba(y_true, y_pred, sample_weight, labels, multilabel):
    """Return ``(T, P, w, n_labels)``: float64 (n, K) matrices and relative weights.

    The weights ``w`` are ``sample_weight`` divided by its largest value, so that
    their sum lies in [1, n] for any finite weights (however large or small);
    metrics average with :func:`_weighted_mean`. For multi-label targets, ``T``
    and ``P`` are returned as ``(n * K, 2)`` binary problems (label k of sample i
    in row ``i * K + k``) with weight ``w_i`` repeated ``K`` times, so that a
    single-label formula gives the average over labels; ``n_labels`` is ``K``
    then, and None for single-label targets.
    """
    # Rounding slack allowed in row sums, by the precision y_pred was given in.
    atol = row_sum_tolerance(np.asarray(y_pred).dtype)
    y_pred = check_array(y_pred, ensure_2d=False, dtype=np.float64, input_name="y_pred")
    y_true = check_array(
        y_true, ensure_2d=False, dtype=None, input_name="y_true", accept_sparse="csr"
    )
    check_consistent_length(y_true, y_pred)
    encoded = encode_targets(y_true, classes=labels, multilabel=multilabel)
    T = encoded.probabilities
    is_multilabel = encoded.target_type == MULTILABEL
    if y_pred.ndim == 1 and T.shape[1] == 2 and not is_multilabel:
        y_pred = np.column_stack([1.0 - y_pred, y_pred])
    if y_pred.ndim != 2 or y_pred.shape != T.shape:
        raise ValueError(
            f"y_pred of shape {y_pred.shape} does not match y_true: expected "
            f"({T.shape[0]}, {T.shape[1]}) for {T.shape[1]} "
            f"{'labels' if is_multilabel else 'classes'} "
            f"{encoded.classes.tolist()!r}. Pass labels= to name the classes of "
            "y_pred's columns."
        )
    low, high = float(y_pred.min()), float(y_pred.max())
    if low < 0 or high > 1:
        # repr, not a rounded format: 1.0000001 must not print as 1.
        raise ValueError(
            f"y_pred must be probabilities in [0, 1]; got values from {low!r} to "
            f"{high!r}."
        )
    if not is_multilabel:
        row_sums = y_pred.sum(axis=1)
        if np.any(np.abs(row_sums - 1.0) > atol):
            raise ValueError(
                f"rows of y_pred must sum to 1 (within {atol:g}) for single-label "
                f"targets; row sums range from {float(row_sums.min())!r} to "
                f"{float(row_sums.max())!r}."
            )
        # Remove the rounding slack as for the targets, so that equal inputs stay equal.
        y_pred = y_pred / row_sums[:, None]
    # Finite, non-negative, not all zero; NaN and infinity are rejected by name.
    sample_weight = _check_sample_weight(
        sample_weight, y_pred, dtype=np.float64, ensure_non_negative=True
    )
    # Relative to the largest weight: the sum cannot overflow (1e308 * n) nor
    # lose every weight to underflow (5e-324 / n).
    w = sample_weight / sample_weight.max()
    if is_multilabel:
        n_labels = T.shape[1]
        T = np.stack([1.0 - T, T], axis=2).reshape(-1, 2)
        P = np.stack([1.0 - y_pred, y_pred], axis=2).reshape(-1, 2)
        return T, P, np.repeat(w, n_labels), n_labels
    return T, y_pred, w, None


def _weighted_mean(values, w):
    """``sum_i w_i values_i / sum_i w_i`` for the relative weights ``w``."""
    return float((w @ values) / w.sum())


def _clipped(P):
    """``P`` clipped below at machine epsilon, so that ``log`` stays finite."""
    return np.maximum(P, np.finfo(P.dtype).eps)


@validate_params(_COMMON, prefer_skip_nested_validation=True)
def soft_log_loss(
    y_true, y_pred, *, sample_weight=None, labels=None, multilabel="auto"
):
    """Cross-entropy of predicted probabilities against hard or soft targets.

    ``sum_i w_i * (-sum_k t_ik log p_ik) / sum_i w_i`` with ``p`` clipped below
    at machine epsilon; on hard labels it equals :func:`sklearn.metrics.log_loss`
    (which also clips at ``1 - eps``: the two differ by at most 1.2e-16).
    Rows of ``y_pred`` must sum to 1 within 1e-6 (1e-4 in float32) and are
    renormalised. Multi-label targets: the binary cross-entropy of each label,
    averaged over labels.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_classes)
        Hard labels, positive-class probabilities, rows of class probabilities,
        or multi-label indicators or marginals.
    y_pred : array-like of shape (n_samples, n_classes) or (n_samples,)
        Predicted probabilities, columns in the order of ``labels``; a 1-D
        ``y_pred`` of a binary problem is the probability of the second class.
    sample_weight : array-like of shape (n_samples,), default=None
    labels : array-like of shape (n_classes,), default=None
        Classes of the columns of ``y_pred``; default: the sorted labels of a
        hard ``y_true``, ``arange(K)`` for 2-D targets.
    multilabel : {"auto", True, False}, default="auto"
        How to read a 2-D ``y_true``, as in :class:`~sksoftce.SoftLabelClassifier`.

    Returns
    -------
    float

    Examples
    --------
    >>> from sksoftce.metrics import soft_log_loss
    >>> round(soft_log_loss([[0.8, 0.2]], [[0.8, 0.2]]), 4)
    0.5004
    """
    T, P, w, _ = _check_targets_and_proba(
        y_true, y_pred, sample_weight, labels, multilabel
    )
    return _weighted_mean(-xlogy(T, _clipped(P)).sum(axis=1), w)


@validate_params(_COMMON, prefer_skip_nested_validation=True)
def kl_divergence(
    y_true, y_pred, *, sample_weight=None, labels=None, multilabel="auto"
):
    """Kullback-Leibler divergence of the predictions from the targets.

    ``sum_i w_i * sum_k t_ik log(t_ik / p_ik) / sum_i w_i``: the log loss minus
    the targets' entropy, 0 at a perfect fit and positive otherwise. Multi-label
    targets: the binary KL of each label, averaged over labels.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_classes)
    y_pred : array-like of shape (n_samples, n_classes) or (n_samples,)
    sample_weight : array-like of shape (n_samples,), default=None
    labels : array-like of shape (n_classes,), default=None
    multilabel : {"auto", True, False}, default="auto"
        See :func:`soft_log_loss`.

    Returns
    -------
    float

    Examples
    --------
    >>> from sksoftce.metrics import kl_divergence
    >>> kl_divergence([[0.8, 0.2]], [[0.8, 0.2]])
    0.0
    """
    T, P, w, _ = _check_targets_and_proba(
        y_true, y_pred, sample_weight, labels, multilabel
    )
    return _weighted_mean((xlogy(T, T) - xlogy(T, _clipped(P))).sum(axis=1), w)


@validate_params(
    {**_COMMON, "scale_by_half": ["boolean", StrOptions({"auto"})]},
    prefer_skip_nested_validation=True,
)
def soft_brier_score(
    y_true,
    y_pred,
    *,
    sample_weight=None,
    labels=None,
    multilabel="auto",
    scale_by_half="auto",
):
    """Multiclass Brier score against hard or soft targets.

    ``sum_i w_i * sum_k (p_ik - t_ik)^2 / sum_i w_i``, halved when
    ``scale_by_half`` (``"auto"``: for two classes, so that binary problems give
    ``(p - t)^2`` and match :func:`sklearn.metrics.brier_score_loss`). Multi-label
    targets: the binary Brier score ``(p - t)^2`` of each label, averaged over
    labels.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_classes)
    y_pred : array-like of shape (n_samples, n_classes) or (n_samples,)
    sample_weight : array-like of shape (n_samples,), default=None
    labels : array-like of shape (n_classes,), default=None
    multilabel : {"auto", True, False}, default="auto"
        See :func:`soft_log_loss`.
    scale_by_half : bool or "auto", default="auto"

    Returns
    -------
    float

    Examples
    --------
    >>> from sksoftce.metrics import soft_brier_score
    >>> round(soft_brier_score([[0.5, 0.5, 0.0]], [[1.0, 0.0, 0.0]]), 4)
    0.5
    """
    T, P, w, _ = _check_targets_and_proba(
        y_true, y_pred, sample_weight, labels, multilabel
    )
    if scale_by_half == "auto":
        scale_by_half = T.shape[1] == 2
    score = _weighted_mean(np.square(P - T).sum(axis=1), w)
    return score / 2 if scale_by_half else score


@validate_params(_COMMON, prefer_skip_nested_validation=True)
def soft_accuracy_score(
    y_true, y_pred, *, sample_weight=None, labels=None, multilabel="auto"
):
    """Share of samples whose most probable predicted class is the target's.

    Single-label: ``argmax_k p_ik == argmax_k t_ik`` (first maximum on ties), so
    the score means the same whatever loss trained the model. Multi-label: subset
    accuracy, every label's ``p > 0.5`` agreeing with ``t > 0.5``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_classes)
    y_pred : array-like of shape (n_samples, n_classes) or (n_samples,)
    sample_weight : array-like of shape (n_samples,), default=None
    labels : array-like of shape (n_classes,), default=None
    multilabel : {"auto", True, False}, default="auto"
        See :func:`soft_log_loss`.

    Returns
    -------
    float

    Examples
    --------
    >>> from sksoftce.metrics import soft_accuracy_score
    >>> soft_accuracy_score([[0.6, 0.4], [0.3, 0.7]], [[0.9, 0.1], [0.8, 0.2]])
    0.5
    """
    T, P, w, n_labels = _check_targets_and_proba(
        y_true, y_pred, sample_weight, labels, multilabel
    )
    right = np.argmax(P, axis=1) == np.argmax(T, axis=1)
    if n_labels is not None:  # rows are (sample, label) pairs: all labels must agree
        right = right.reshape(-1, n_labels).all(axis=1)
        w = w[::n_labels]
    return _weighted_mean(right, w)


@validate_params(
    {
        **_COMMON,
        "n_bins": [Interval(Integral, 1, None, closed="left")],
        "strategy": [StrOptions({"uniform", "quantile"})],
    },
    prefer_skip_nested_validation=True,
)
def expected_calibration_error(
    y_true,
    y_pred,
    *,
    sample_weight=None,
    labels=None,
    multilabel="auto",
    n_bins=10,
    strategy="uniform",
):
    """Top-label expected calibration error.

    Each sample has a confidence ``c_i = max_k p_ik`` in its predicted class
    ``k_i = argmax_k p_ik`` and a correctness ``a_i = t_i,k_i`` (1 or 0 for hard
    labels; the target's probability of the predicted class for soft targets).
    With the samples grouped in bins ``B_b`` of confidence::

        ECE = sum_b (W_b / W) * |mean_b(a) - mean_b(c)|

    weighted means and bin weights ``W_b`` from ``sample_weight``. ``"uniform"``
    bins split [0, 1] into ``n_bins`` equal intervals ``((b-1)/n_bins, b/n_bins]``;
    ``"quantile"`` bins hold equal numbers of samples. Multi-label targets: the
    ECE of each label as a binary problem, averaged over labels.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_classes)
    y_pred : array-like of shape (n_samples, n_classes) or (n_samples,)
    sample_weight : array-like of shape (n_samples,), default=None
    labels : array-like of shape (n_classes,), default=None
    multilabel : {"auto", True, False}, default="auto"
        See :func:`soft_log_loss`.
    n_bins : int, default=10
    strategy : {"uniform", "quantile"}, default="uniform"

    Returns
    -------
    float

    Examples
    --------
    >>> from sksoftce.metrics import expected_calibration_error
    >>> y_true = [0, 1, 1, 0]
    >>> y_pred = [[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.4, 0.6]]
    >>> # one bin: accuracy 2/4, mean confidence (0.9 + 0.8 + 0.6 + 0.6) / 4
    >>> round(expected_calibration_error(y_true, y_pred, n_bins=2), 4)
    0.225
    """
    T, P, w, n_labels = _check_targets_and_proba(
        y_true, y_pred, sample_weight, labels, multilabel
    )
    predicted = np.argmax(P, axis=1)
    confidence = P[np.arange(P.shape[0]), predicted]
    gap = (w / w.sum()) * (T[np.arange(T.shape[0]), predicted] - confidence)
    if n_labels is None:
        return _binned_abs_sum(confidence, gap, n_bins, strategy)
    return float(
        sum(
            _binned_abs_sum(confidence[k::n_labels], gap[k::n_labels], n_bins, strategy)
            for k in range(n_labels)
        )
    )


def _binned_abs_sum(confidence, gap, n_bins, strategy):
    """``sum_b |sum_{i in b} gap_i|`` over confidence bins."""
    if strategy == "uniform":
        bins = np.clip(np.ceil(confidence * n_bins).astype(int) - 1, 0, n_bins - 1)
    else:
        edges = np.quantile(confidence, np.linspace(0, 1, n_bins + 1)[1:-1])
        bins = np.searchsorted(edges, confidence, side="left")
    return float(np.abs(np.bincount(bins, weights=gap, minlength=n_bins)).sum())
