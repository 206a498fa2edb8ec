"""Cross-validation splitters for soft targets."""

import numpy as np
from sklearn.model_selection import StratifiedKFold
from sklearn.utils.validation import check_array

from ._targets import _as_column_or_matrix, _holds_labels, encode_targets


class SoftStratifiedKFold(StratifiedKFold):
    """Stratified K-fold that stratifies soft targets on their most probable class.

    scikit-learn's :func:`~sklearn.model_selection.check_cv` falls back to
    unshuffled, unstratified ``KFold`` for 2-D or non-integral targets; this
    splitter keeps class balance across folds for them. Hard labels are
    stratified as by :class:`~sklearn.model_selection.StratifiedKFold`; 1-D soft
    binary targets on ``p > 0.5``; 2-D targets (class probabilities or
    multi-label marginals) on their column of highest value (the first on ties).
    Any other ``y`` (NaN, infinity, continuous values outside [0, 1]) raises a
    ``ValueError`` before the first split.

    Parameters
    ----------
    n_splits : int, default=5
        Number of folds, at least 2.
    shuffle : bool, default=False
        Shuffle each class's samples before splitting them into folds.
    random_state : int, RandomState instance or None, default=None
        Seed of the shuffling, when ``shuffle=True``.

    Examples
    --------
    >>> import numpy as np
    >>> from sksoftce.model_selection import SoftStratifiedKFold
    >>> Y = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.4, 0.6]])
    >>> for train, test in SoftStratifiedKFold(n_splits=2).split(np.zeros((4, 1)), Y):
    ...     print(test)
    [0 2]
    [1 3]
    """

    def split(self, X, y, groups=None):
        """Generate indices to split data into training and test set.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Hard labels, positive-class probabilities in [0, 1], class
            probabilities or multi-label marginals, as
            :class:`~sksoftce.SoftLabelClassifier` accepts them.
        groups : None
            Ignored.

        Yields
        ------
        train : ndarray
        test : ndarray
        """
        return super().split(X, _strata(y), groups)


def _strata(y):
    """The class each sample is stratified on; ValueError for y that is no target."""
    y = _as_column_or_matrix(y)
    if y.ndim == 1 and y.dtype.kind != "f":
        return y  # hard labels: StratifiedKFold checks them
    try:
        # Finite first: NaN would pass as a soft target, and as no label either.
        y = check_array(y, ensure_2d=False, dtype=np.float64, input_name="y")
        if y.ndim == 1 and _holds_labels(y):
            return y  # integral floats are labels
        encode_targets(y)  # soft targets: probabilities, rows or marginals in [0, 1]
    except ValueError as exc:
        raise ValueError(f"SoftStratifiedKFold cannot stratify y: {exc}") from exc
    if y.ndim == 2:
        return np.argmax(y, axis=1)
    return (y > 0.5).astype(int)
