"""Cross-validation splitters for soft targets."""

import numpy as np
from sklearn.model_selection import StratifiedKFold

from ._targets import _as_column_or_matrix, _holds_labels


class SoftStratifiedKFold(StratifiedKFold):
    """Stratified K-fold that stratifies soft targets on their most probable class.

    scikit-learn's :func:`~sklearn.model_selection.check_cv` falls back to
    unshuffled, unstratified ``KFold`` for 2-D or non-integral targets; this
    splitter keeps class balance across folds for them. Hard labels are
    stratified as by :class:`~sklearn.model_selection.StratifiedKFold`; 1-D soft
    binary targets on ``p > 0.5``; 2-D targets (class probabilities or
    multi-label marginals) on their column of highest value (the first on ties).

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
            Hard labels, positive-class probabilities, class probabilities or
            multi-label marginals.
        groups : None
            Ignored.

        Yields
        ------
        train : ndarray
        test : ndarray
        """
        return super().split(X, _strata(y), groups)


def _strata(y):
    y = _as_column_or_matrix(y)
    if y.ndim == 2:
        return np.argmax(np.asarray(y, dtype=float), axis=1)
    return y if _holds_labels(y) else (y > 0.5).astype(int)
