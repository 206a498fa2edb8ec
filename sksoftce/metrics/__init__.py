"""Soft-label metrics and scorers.

The metrics accept hard labels, soft binary vectors, soft probability matrices and
(soft) multi-label matrices as ``y_true``; the scorers work as ``scoring=`` in
``GridSearchCV``, ``RandomizedSearchCV`` and ``cross_validate``.
"""

from ._classification import (
    expected_calibration_error,
    kl_divergence,
    soft_accuracy_score,
    soft_brier_score,
    soft_log_loss,
)
from ._scorer import get_scorer, get_scorer_names

__all__ = [
    "expected_calibration_error",
    "get_scorer",
    "get_scorer_names",
    "kl_divergence",
    "soft_accuracy_score",
    "soft_brier_score",
    "soft_log_loss",
]
