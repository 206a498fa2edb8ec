"""Fitted attributes that change all together or not at all."""

from __future__ import annotations

import contextlib


def _fitted_attributes(estimator):
    return {
        name: value
        for name, value in vars(estimator).items()
        if name.endswith("_") and not name.startswith("_")
    }


@contextlib.contextmanager
def all_or_nothing(estimator):
    """Restore the estimator's fitted attributes if the block does not complete.

    ``validate_data`` sets ``n_features_in_`` and ``feature_names_in_`` as soon as
    it reads ``X``; an error or a ``KeyboardInterrupt`` later in ``fit`` would
    otherwise leave them next to the previous fit's parameters (or, on a new
    estimator, make ``check_is_fitted`` pass with no parameters at all).
    """
    saved = _fitted_attributes(estimator)
    try:
        yield
    except BaseException:
        for name in _fitted_attributes(estimator):
            delattr(estimator, name)
        vars(estimator).update(saved)
        raise
