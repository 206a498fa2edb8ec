"""Scorers for soft-label metrics, usable as ``scoring=`` in searches and cross_validate."""

from __future__ import annotations

import copy

from sklearn.metrics import get_scorer as sklearn_get_scorer
from sklearn.metrics import make_scorer

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
    columns on a validation fold that lacks a class.
    """

    def _score(self, method_caller, estimator, X, y_true, **kwargs):
        if not hasattr(estimator, "predict_proba"):
            raise TypeError(
                f"The soft-label scorer {self._score_func.__name__} scores predicted "
                f"probabilities, but {type(estimator).__name__} has no predict_proba."
            )
        proba = estimator.predict_proba(X)
        scoring_kwargs = {**self._kwargs, **kwargs}
        scoring_kwargs.setdefault("labels", getattr(estimator, "classes_", None))
        if getattr(estimator, "target_type_", None) == "multilabel":
            scoring_kwargs.setdefault("multilabel", True)
        return self._sign * self._score_func(y_true, proba, **scoring_kwargs)


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
        scored correctly.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.model_selection import cross_validate
    >>> from sksoftce import SoftLabelClassifier
    >>> from sksoftce.metrics import get_scorer
    >>> X, y = load_iris(return_X_y=True)
    >>> result = cross_validate(SoftLabelClassifier(), X, y, cv=3,
    ...                         scoring=get_scorer(["neg_soft_log_loss", "soft_accuracy"]))
    >>> bool(result["test_neg_soft_log_loss"].max() < 0)
    True
    """
    if isinstance(scoring, (list, tuple)):
        return {name: get_scorer(name) for name in scoring}
    if isinstance(scoring, str) and scoring in SCORERS:
        return copy.deepcopy(SCORERS[scoring])
    return sklearn_get_scorer(scoring)


def get_scorer_names():
    """Names of the soft-label scorers.

    Returns
    -------
    list of str
    """
    return sorted(SCORERS)
