"""Targets in any accepted form -> classes, a soft target matrix and a target type.

Four forms of ``y`` are accepted:

1. 1-D class labels of any type (ints, strings, bools, integral floats): hard
   targets, one-hot encoded.
2. 1-D floats in [0, 1] that are not all 0/1: the probability of the positive
   class of a binary problem (soft binary targets).
3. 2-D ``(n, K)`` rows that are probability distributions: soft multiclass targets.
4. 2-D ``(n, K)`` values in [0, 1] whose rows do not all sum to 1 (0/1 indicators
   or soft marginals): multi-label targets.

Everything here is loss-agnostic: the encoding returns the full ``(n, K)`` matrix of
class probabilities (or label marginals) and the estimator decides how many outputs
its network has.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import DataConversionWarning
from sklearn.utils.multiclass import type_of_target


def row_sum_tolerance(dtype):
    """Largest deviation of a row sum from 1 allowed for probabilities of ``dtype``."""
    dtype = np.dtype(dtype)
    return 1e-4 if dtype.kind == "f" and dtype.itemsize < 8 else 1e-6


BINARY, MULTICLASS, MULTILABEL = "binary", "multiclass", "multilabel"


@dataclass(frozen=True)
class EncodedTargets:
    """Result of :func:`encode_targets`.

    Attributes
    ----------
    classes : ndarray of shape (K,)
        Names of the columns of ``probabilities``.
    probabilities : ndarray of shape (n_samples, K), float64
        Class probabilities (rows sum to 1) or, for multi-label targets, label
        marginals in [0, 1].
    target_type : {"binary", "multiclass", "multilabel"}
        ``"binary"`` and ``"multiclass"`` are single-label problems with 2 or more
        classes.
    """

    classes: np.ndarray
    probabilities: np.ndarray
    target_type: str


def ravel_column(y, keep_column, stacklevel):
    """A column vector ``y`` as 1-D, with scikit-learn's warning, unless
    ``keep_column`` (multi-label targets with a single label); ``stacklevel`` as
    :func:`warnings.warn` counts it from here."""
    if y.ndim == 2 and y.shape[1] == 1 and not keep_column:
        warnings.warn(
            "A column-vector y was passed when a 1d array was expected. Please "
            "change the shape of y to (n_samples,), for example using ravel().",
            DataConversionWarning,
            stacklevel=stacklevel,
        )
        return y[:, 0]
    return y


def check_weight_total(total, largest, what):
    """Refuse weights summing to zero or to infinity, naming them ``what``.

    ``total`` is their sum (possibly infinite), ``largest`` the largest weight.
    """
    if not total > 0:
        raise ValueError(
            f"{what} sums to zero: at least one sample needs a positive weight."
        )
    if not np.isfinite(total):
        raise ValueError(
            f"{what} sums to infinity (largest weight {largest!r}); divide the "
            "weights by a constant, and alpha by the same constant (the objective "
            "depends on alpha / sum(sample_weight))."
        )


def _as_column_or_matrix(y, keep_column=False):
    """Return ``y`` as an ndarray of ndim 1 or 2.

    A column vector becomes 1-D (with scikit-learn's warning) unless
    ``keep_column``: multi-label targets with a single label.
    """
    if sp.issparse(y):
        y = y.toarray()
    y = np.asarray(y)
    if y.ndim == 0 or y.ndim > 2:
        raise ValueError(
            f"y must be 1-D (labels or positive-class probabilities) or 2-D "
            f"(n_samples, n_classes); got an array of shape {y.shape}."
        )
    y = ravel_column(y, keep_column, stacklevel=4)
    if y.dtype.kind == "c":
        raise ValueError("Complex data not supported in y.")
    return y


def _holds_labels(y):
    """Whether 1-D ``y`` holds class labels: anything but non-integral floats."""
    if y.dtype.kind != "f":
        return True
    with np.errstate(invalid="ignore"):  # inf and NaN are not labels: False
        return bool(np.all(np.mod(y, 1) == 0))


def holds_hard_labels(y):
    """Whether ``y`` is a vector (or column) of class labels, which names no classes."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    return y.ndim == 1 and _holds_labels(y)


def _check_classes(classes, n_columns=None):
    """Validate the ``classes`` parameter; return it as a 1-D array or None."""
    if classes is None:
        return None
    values = list(classes) if isinstance(classes, (list, tuple)) else None
    if values and any(isinstance(v, str) for v in values):
        if not all(isinstance(v, str) for v in values):
            raise ValueError(
                f"classes mixes strings with other types: {classes!r}; give the "
                "labels in one type, as they appear in y."
            )
    try:
        classes = np.asarray(classes)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"classes cannot be read as an array: {classes!r}.") from exc
    if classes.ndim != 1 or classes.shape[0] < 2:
        raise ValueError(
            f"classes must be a 1-D sequence of at least 2 class names; got "
            f"{classes!r}."
        )
    if classes.dtype.kind in "fc" and not np.all(np.isfinite(classes)):
        raise ValueError(f"classes must not contain NaN or infinity; got {classes!r}.")
    try:
        n_unique = np.unique(classes).shape[0]
    except TypeError as exc:
        raise ValueError(
            f"classes must be labels that can be sorted and compared (numbers or "
            f"strings); got {classes!r}."
        ) from exc
    if n_unique != classes.shape[0]:
        raise ValueError(f"classes must not contain duplicates; got {classes!r}.")
    if n_columns is not None and classes.shape[0] != n_columns:
        raise ValueError(
            f"classes names {classes.shape[0]} classes but y has {n_columns} "
            f"columns; they must match."
        )
    return classes


def _one_hot(indices, n_classes):
    out = np.zeros((indices.shape[0], n_classes))
    out[np.arange(indices.shape[0]), indices] = 1.0
    return out


def _encode_hard_labels(y, classes):
    if classes is None:
        classes, indices = np.unique(y, return_inverse=True)
        if classes.shape[0] < 2:
            raise ValueError(
                "Targets need samples of at least 2 classes, but y contains only "
                f"one class: {classes[0]!r}. Name the classes explicitly (classes= "
                "for the estimators, labels= for the metrics)."
            )
    else:
        sorter = np.argsort(classes)
        try:
            pos = np.searchsorted(classes, y, sorter=sorter)
        except TypeError as exc:
            raise TypeError(
                f"labels in y cannot be compared with classes {classes!r}."
            ) from exc
        pos = np.minimum(pos, classes.shape[0] - 1)
        indices = sorter[pos]
        unknown = classes[indices] != y
        if np.any(unknown):
            raise ValueError(
                f"y contains labels that are not in classes: "
                f"{np.unique(y[unknown])!r}; classes={classes!r}."
            )
    return classes, _one_hot(indices, classes.shape[0])


def _check_unit_interval(y, what):
    low, high = y.min(), y.max()
    if low < 0 or high > 1:
        raise ValueError(
            f"{what} must be probabilities in [0, 1]; got values from "
            f"{float(low)!r} to {float(high)!r}."
        )


def encode_targets(y, *, classes=None, multilabel="auto"):
    """Read ``y`` in any accepted form.

    Parameters
    ----------
    y : array-like of shape (n_samples,) or (n_samples, K)
        Targets; already checked for finiteness and consistent length.
    classes : array-like of shape (K,), default=None
        Names of the columns. Default: the sorted labels for hard labels, ``[0, 1]``
        for soft binary targets, ``arange(K)`` for 2-D targets.
    multilabel : {"auto", True, False}, default="auto"
        How to read a 2-D ``y``: ``"auto"`` reads it as a probability matrix when
        every row sums to 1 and as multi-label targets otherwise.

    Returns
    -------
    EncodedTargets
    """
    if not isinstance(multilabel, str):  # np.True_ and 1/0 mean True and False
        multilabel = bool(multilabel)
    y = _as_column_or_matrix(y, keep_column=multilabel is True)
    if y.shape[0] == 0:
        raise ValueError("y is empty: at least one sample is required.")
    if y.ndim == 1:
        if multilabel is True:
            raise ValueError(
                "multilabel=True needs 2-D targets of shape (n_samples, n_labels); "
                "got 1-D y."
            )
        return _encode_1d(y, _check_classes(classes))
    return _encode_2d(y, _check_classes(classes, y.shape[1]), multilabel)


def _names_other_labels(y, classes):
    """Whether ``classes`` names 2 classes and the values of float ``y`` are not among
    them: then 0/1 floats are probabilities of ``classes[1]``, not labels."""
    if classes is None or classes.shape[0] != 2 or y.dtype.kind != "f":
        return False
    if y.min() < 0 or y.max() > 1:
        return False
    return not set(np.unique(y).tolist()) <= set(classes.tolist())


def _encode_1d(y, classes):
    if _holds_labels(y) and not _names_other_labels(y, classes):
        kind = type_of_target(y, input_name="y")
        if kind not in ("binary", "multiclass"):
            raise ValueError(
                f"Unknown label type: y is {kind!r}; 1-D y must hold class labels "
                "(ints, strings, bools) or positive-class probabilities in [0, 1]."
            )
        classes, probabilities = _encode_hard_labels(y, classes)
        target_type = BINARY if classes.shape[0] == 2 else MULTICLASS
        return EncodedTargets(classes, probabilities, target_type)
    if y.min() < 0 or y.max() > 1:
        raise ValueError(
            "Unknown label type: y holds continuous values outside [0, 1] (from "
            f"{float(y.min())!r} to {float(y.max())!r}). 1-D float targets must be "
            "class labels (integral values) or probabilities of the positive class "
            "in [0, 1]."
        )
    if classes is not None and classes.shape[0] != 2:
        raise ValueError(
            "1-D soft targets are probabilities of the positive class of a binary "
            f"problem, so classes must name 2 classes; got {classes!r}."
        )
    classes = np.array([0, 1]) if classes is None else classes
    probabilities = np.column_stack([1.0 - y, y]).astype(np.float64)
    return EncodedTargets(classes, probabilities, BINARY)


def _encode_2d(y, classes, multilabel):
    if y.dtype.kind not in "biuf":
        try:
            y = y.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                "2-D y must hold numbers (probabilities or 0/1 indicators); got "
                f"dtype {y.dtype}."
            ) from exc
    atol = row_sum_tolerance(y.dtype)
    y = np.asarray(y, dtype=np.float64)
    if not np.all(np.isfinite(y)):
        raise ValueError(
            "2-D targets y contain NaN or infinity (or entries such as None or "
            "'nan' that read as NaN)."
        )
    _check_unit_interval(y, "2-D targets y")
    row_sums = y.sum(axis=1)
    rows_are_distributions = bool(np.all(np.abs(row_sums - 1.0) <= atol))
    if multilabel == "auto":
        multilabel = not rows_are_distributions
    elif not multilabel and not rows_are_distributions:
        raise ValueError(
            "multilabel=False reads 2-D y as class probabilities, so every row must "
            f"sum to 1 (within {atol:g}); row sums range from "
            f"{float(row_sums.min())!r} to {float(row_sums.max())!r}. Set "
            "multilabel=True for multi-label targets."
        )
    classes = np.arange(y.shape[1]) if classes is None else classes
    if multilabel:
        return EncodedTargets(classes, y.copy(), MULTILABEL)
    # Remove the rounding slack so that every row sums to 1 to machine precision.
    probabilities = y / row_sums[:, None]
    target_type = BINARY if y.shape[1] == 2 else MULTICLASS
    return EncodedTargets(classes, probabilities, target_type)


def hard_targets(y, classes, *, multilabel=False):
    """Hard version of targets in any accepted form, for accuracy-type scores.

    Hard labels come back unchanged (labels outside ``classes`` included). Soft
    single-label targets give the class of highest probability (the first on
    ties); multi-label targets give the 0/1 matrix ``marginal > 0.5``.

    Parameters
    ----------
    y : array-like of shape (n_samples,) or (n_samples, K)
    classes : ndarray of shape (K,)
        Names of the columns of soft targets.
    multilabel : bool, default=False
        Whether 2-D targets are multi-label targets or class probabilities.

    Returns
    -------
    ndarray of shape (n_samples,) or (n_samples, K)
    """
    y = _as_column_or_matrix(y)
    if y.ndim == 1 and _holds_labels(y) and not _names_other_labels(y, classes):
        return y
    encoded = encode_targets(y, classes=classes, multilabel=multilabel)
    if multilabel:
        return (encoded.probabilities > 0.5).astype(int)
    return encoded.classes[np.argmax(encoded.probabilities, axis=1)]


def class_weight_vector(class_weight, classes, probabilities, sample_weight):
    """Weight of each class for ``class_weight`` in scikit-learn's conventions.

    ``"balanced"`` gives ``sum(counts) / (K * counts)`` with the (soft, weighted)
    class counts ``counts_k = sum_i s_i * p_ik``; for hard labels this is exactly
    :func:`sklearn.utils.class_weight.compute_class_weight`.

    Parameters
    ----------
    class_weight : dict, "balanced" or None
    classes : ndarray of shape (K,)
    probabilities : ndarray of shape (n_samples, K)
    sample_weight : ndarray of shape (n_samples,)

    Returns
    -------
    ndarray of shape (K,)
    """
    n_classes = classes.shape[0]
    if class_weight is None:
        return np.ones(n_classes)
    if isinstance(class_weight, str):  # "balanced", checked by the estimator
        counts = sample_weight @ probabilities
        with np.errstate(divide="ignore"):
            return np.where(counts > 0, counts.sum() / (n_classes * counts), 1.0)
    known = set(classes.tolist())
    unknown = [key for key in class_weight if key not in known]
    if unknown:
        raise ValueError(
            f"class_weight names classes that are not in the data: {unknown!r}; "
            f"classes are {classes.tolist()!r}."
        )
    weights = np.array([class_weight.get(c, 1.0) for c in classes.tolist()], float)
    if not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise ValueError(
            "class_weight values must be finite and non-negative; got "
            f"{class_weight!r}."
        )
    return weights
