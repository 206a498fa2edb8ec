"""Scorers for soft-label metrics, for ``scoring=`` in searches and cross_validate."""

from __future__ import annotations

import copy
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.metrics import get_scorer as sklearn_get_scorer
from sklearn.metrics import make_scorer

from .._targets import encode_targets
from ._classification import (
    expected_calibration_error,
    kl_divergence,
    soft_accuracy_score,
    soft_brier_score,
    soft_log_loss,
)

# The class of make_scorer's scorers, whose sample-weight and metadata-routing
# machinery ours keep; only the prediction step differs.
_Scorer = type(make_scorer(soft_accuracy_score))


class _SoftLabelScorer(_Scorer):
    """A make_scorer scorer that scores the full ``predict_proba`` of the estimator,
    its columns named by the estimator's ``classes_``.

    scikit-learn's own probability scorers keep one column of a binary
    ``predict_proba`` and infer the classes from ``y_true``, which misaligns the
    columns on a validation fold that lacks a class. The estimator may be any
    classifier or meta-estimator (a pipeline, a search) that exposes
    ``predict_proba`` and ``classes_``.
    """

    def _score(self, method_caller, estimator, X, y_true, **kwargs):
        if not hasattr(estimator, "predict_proba"):
            raise TypeError(
                f"The soft-label scorer {self._score_func.__name__} scores predicted "
                f"probabilities, but {type(estimator).__name__} has no predict_proba."
            )
        # Passed on in its own dtype: the metrics judge row sums by its precision.
        proba = estimator.predict_proba(X)
        scoring_kwargs = {**self._kwargs, **kwargs}
        scoring_kwargs.setdefault("labels", getattr(estimator, "classes_", None))
        if "multilabel" not in scoring_kwargs and _is_multilabel_model(
            estimator, X, y_true
        ):
            scoring_kwargs["multilabel"] = True
        score = self._sign * self._score_func(y_true, proba, **scoring_kwargs)
        if not scoring_kwargs.get("multilabel", False):
            _warn_if_few_classes(y_true, scoring_kwargs["labels"])
        return score


# A scored set with at least this many rows per class of the model, that holds the
# most probable class of fewer than half of them, looks like a fold of rows sorted by
# class (scikit-learn's cv=<int> is an unshuffled, unstratified KFold for soft
# targets). Binary models are left out: a fold of a rare positive class may
# legitimately hold none.
_ROWS_PER_CLASS = 5


def _warn_if_few_classes(y_true, classes):
    """Warn when the scored rows cover few of the model's classes (see above)."""
    if classes is None or len(classes) < 3 or sp.issparse(y_true):
        return
    n_classes = len(classes)
    if np.shape(y_true)[0] < _ROWS_PER_CLASS * n_classes:
        return
    try:
        targets = encode_targets(y_true, classes=classes, multilabel=False)
    except ValueError:
        return  # the metric has read them already; nothing to add
    present = np.unique(np.argmax(targets.probabilities, axis=1)).size
    if 2 * present < n_classes:
        warnings.warn(
            f"The {np.shape(y_true)[0]} scored rows hold the most probable class of "
            f"only {present} of the model's {n_classes} classes. If they are a "
            "cross-validation fold, the folds are probably not stratified: for soft "
            "targets scikit-learn turns cv=<int> (the default 5) into an unshuffled "
            "KFold. Pass cv=sksoftce.model_selection.SoftStratifiedKFold(n_splits, "
            "shuffle=True, random_state=0).",
            UserWarning,
            stacklevel=2,
        )


# Where scikit-learn's meta-estimators keep the fitted estimator that predicts:
# Pipeline's last step, a search's refitted best estimator.
_INNER_ESTIMATORS = ("_final_estimator", "best_estimator_")


def _is_multilabel_model(estimator, X, y_true):
    """Whether ``estimator`` was fitted on multi-label targets.

    2-D targets alone cannot tell: multi-label targets whose rows each hold one
    label look like class probabilities, and so can a multi-label model's
    saturated probabilities. The fitted ``target_type_`` says it, read on the
    estimator or the estimator it wraps; failing that, a multi-label classifier
    predicts a 2-D indicator matrix, as scikit-learn's do.
    """
    if np.ndim(y_true) != 2 and not sp.issparse(y_true):
        return False  # 1-D targets are single-label whatever the model
    inner = estimator
    for _ in range(10):  # a chain of wrappers, not a cycle
        target_type = getattr(inner, "target_type_", None)
        if target_type is not None:
            return target_type == "multilabel"
        inner = next(
            (
                getattr(inner, name)
                for name in _INNER_ESTIMATORS
                if hasattr(inner, name)
            ),
            None,
        )
        if inner is None:
            break
    if not hasattr(estimator, "predict"):
        return False
    return np.ndim(estimator.predict(X)) == 2


def _soft_scorer(metric, greater_is_better):
    built = make_scorer(
        metric, greater_is_better=greater_is_better, response_method="predict_proba"
    )
    scorer = _SoftLabelScorer.__new__(_SoftLabelScorer)
    scorer.__dict__.update(built.__dict__)
    return scorer


SCORERS = {
    "neg_soft_log_loss": _soft_scorer(soft_log_loss, greater_is_better=False),
    "neg_kl_divergence": _soft_scorer(kl_divergence, greater_is_better=False),
    "neg_soft_brier_score": _soft_scorer(soft_brier_score, greater_is_better=False),
    "soft_accuracy": _soft_scorer(soft_accuracy_score, greater_is_better=True),
    "neg_expected_calibration_error": _soft_scorer(
        expected_calibration_error, greater_is_better=False
    ),
}


# scikit-learn's scorers that read hard labels only, and the soft-label scorer that
# takes their place. On soft targets their metric raises, and a search or
# cross_validate turns every score into NaN (GridSearchCV then ranks the candidates
# by nothing and picks the first): through our get_scorer they raise a ValueError that
# names the replacement instead.
_HARD_LABEL_SCORERS = {
    "neg_log_loss": "neg_soft_log_loss",
    "neg_brier_score": "neg_soft_brier_score",
    "accuracy": "soft_accuracy",
}


def _holds_soft_targets(y_true):
    """Whether ``y_true`` holds probabilities rather than labels or 0/1 indicators."""
    if sp.issparse(y_true):
        return bool(np.any((y_true.data != 0) & (y_true.data != 1)))
    y_true = np.asarray(y_true)
    if y_true.dtype.kind not in "fc":
        return False  # labels of any other type
    with np.errstate(invalid="ignore"):
        if y_true.ndim == 1 or (y_true.ndim == 2 and y_true.shape[1] == 1):
            return not bool(np.all(np.mod(y_true, 1) == 0))
        return not bool(np.all((y_true == 0) | (y_true == 1)))


class _HardLabelScorer(_Scorer):
    """scikit-learn's scorer for a hard-label metric, refusing soft targets by name."""

    def _score(self, method_caller, estimator, X, y_true, **kwargs):
        if _holds_soft_targets(y_true):
            name, soft_name = self._sksoftce_names
            raise ValueError(
                f"scikit-learn's scorer {name!r} takes hard labels, but y holds soft "
                f"targets (probabilities). Use get_scorer({soft_name!r}) from "
                "sksoftce.metrics: in GridSearchCV or cross_validate, pass "
                f"scoring=get_scorer({soft_name!r}), not the string, which "
                "scikit-learn does not know."
            )
        return super()._score(method_caller, estimator, X, y_true, **kwargs)


def _hard_label_scorer(name):
    scorer = sklearn_get_scorer(name)
    if type(scorer) is not _Scorer:  # another scikit-learn's scorer class: as it is
        return scorer
    checked = _HardLabelScorer.__new__(_HardLabelScorer)
    checked.__dict__.update(scorer.__dict__)
    checked._sksoftce_names = (name, _HARD_LABEL_SCORERS[name])
    return checked


def get_scorer(scoring):
    """Scorer for a soft-label metric name, or scikit-learn's scorer for other names.

    Parameters
    ----------
    scoring : str, callable, or list of str
        One of ``"neg_soft_log_loss"``, ``"neg_kl_divergence"``,
        ``"neg_soft_brier_score"``, ``"soft_accuracy"``,
        ``"neg_expected_calibration_error"``, or anything
        :func:`sklearn.metrics.get_scorer` accepts. A list of names gives a dict
        of scorers keyed by name: scikit-learn accepts only its own scorer names
        in a list passed as ``scoring=``, so pass
        ``scoring=get_scorer(["neg_soft_log_loss", "soft_accuracy"])`` instead.

    Returns
    -------
    scorer : callable or dict of callables
        ``scorer(estimator, X, y, sample_weight=None)``; greater is better (the
        losses are negated). It scores ``estimator.predict_proba(X)`` with the
        columns named by ``estimator.classes_``, so a fold that lacks a class is
        scored correctly. The estimator may be wrapped in a pipeline or a search:
        2-D targets are scored per label when the model was fitted on multi-label
        targets (its ``target_type_``, or that of a pipeline's last step or a
        search's best estimator; failing those, a 2-D ``predict``).
        scikit-learn's ``"neg_log_loss"``, ``"neg_brier_score"`` and
        ``"accuracy"`` read hard labels only: the scorers returned for these
        names raise a ``ValueError`` that names the soft-label scorer to use
        when they are given soft targets (scikit-learn's own would fail with no
        hint, and a search would record NaN scores). On hard labels they score
        as scikit-learn's do. The soft-label scorers warn (``UserWarning``) when
        the rows they score, at least 5 per class of a model of 3 or more
        classes, hold the most probable class of fewer than half of the
        classes: the mark of unstratified folds of rows sorted by class, which
        is what scikit-learn's ``cv=<int>`` gives for soft targets.

    Raises
    ------
    ValueError
        For a name that is neither a soft-label scorer nor a scikit-learn scorer;
        the message lists the soft-label scorers.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.model_selection import cross_validate
    >>> from sksoftce import SoftLabelClassifier
    >>> from sksoftce.metrics import get_scorer
    >>> X, y = load_iris(return_X_y=True)
    >>> scoring = get_scorer(["neg_soft_log_loss", "soft_accuracy"])
    >>> result = cross_validate(SoftLabelClassifier(), X, y, cv=3, scoring=scoring)
    >>> bool(result["test_neg_soft_log_loss"].max() < 0)
    True
    """
    if isinstance(scoring, (list, tuple)):
        return {name: get_scorer(name) for name in scoring}
    if isinstance(scoring, str) and scoring in SCORERS:
        return copy.deepcopy(SCORERS[scoring])
    if isinstance(scoring, str) and scoring in _HARD_LABEL_SCORERS:
        return _hard_label_scorer(scoring)
    try:
        return sklearn_get_scorer(scoring)
    except ValueError as exc:
        if not isinstance(scoring, str):
            raise
        raise ValueError(
            f"{scoring!r} is not a valid scoring value: neither a soft-label scorer "
            "of sksoftce "
            f"({', '.join(get_scorer_names())}) nor a scorer name of scikit-learn "
            "(sklearn.metrics.get_scorer_names())."
        ) from exc


def get_scorer_names():
    """Names of the soft-label scorers.

    Returns
    -------
    list of str
    """
    return sorted(SCORERS)
