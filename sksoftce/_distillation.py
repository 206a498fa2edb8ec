"""DistillationClassifier: a student fitted on cross-fitted teacher probabilities."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context, clone
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import StratifiedKFold, check_cv, cross_val_predict
from sklearn.utils import get_tags
from sklearn.utils._metadata_requests import _routing_enabled
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import (
    _assert_all_finite,
    _check_sample_weight,
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
    has_fit_parameter,
    validate_data,
)

from ._classifier import SoftLabelClassifier

_HARD_LABEL_TYPES = ("binary", "multiclass")


def _student_has(attr):
    """available_if check: the fitted student, or the student to be fitted, has attr."""

    def check(self):
        if hasattr(self, "student_"):
            return hasattr(self.student_, attr)
        return hasattr(self._student(), attr)

    return check


class DistillationClassifier(ClassifierMixin, BaseEstimator):
    """Student classifier fitted on a teacher's cross-fitted, softened probabilities.

    Knowledge distillation: :meth:`fit` labels every training row with the
    probabilities of a teacher that did not see the row (cross-fitting, with
    :func:`~sklearn.model_selection.cross_val_predict`), softens them with a
    temperature, mixes in the one-hot labels, and fits the student on these
    probability rows. Predictions come from the student. The teacher is also
    refitted on all rows, as ``teacher_``, for comparison.

    With ``p`` a row of the teacher's probabilities, ``T`` the temperature, ``w``
    the hard-label weight and ``e_y`` the one-hot row of the label, the student's
    target row is::

        soft_k = p_k ** (1 / T) / sum_j p_j ** (1 / T)
        target = (1 - w) * soft + w * e_y

    that is, the teacher's log-probabilities divided by ``T`` and normalised again;
    zero probabilities stay zero.

    Parameters
    ----------
    teacher : classifier with ``predict_proba``
        Any scikit-learn classifier. A clone is fitted on each training part of
        ``cv`` and predicts the probabilities of the held-out part. A teacher
        fitted elsewhere and wrapped in :class:`~sklearn.frozen.FrozenEstimator`
        is used as it is: its ``predict_proba`` on ``X`` gives the targets,
        without cross-fitting or refitting; the labels in ``y`` must then be
        among its ``classes_``, and the student learns all of its classes.

    student : classifier, default=None
        The classifier fitted on the target rows; it must accept 2-D
        probability targets, as :class:`~sksoftce.SoftLabelClassifier` (the
        default, ``SoftLabelClassifier()``) does. If it has a ``classes``
        parameter (also as the last step of a pipeline), that parameter is set
        to the labels, so that ``student_.classes_`` are the labels of ``y``; a
        student without one whose ``classes_`` come out otherwise makes
        :meth:`fit` raise a ValueError. Search its parameters as
        ``student__alpha`` etc. (this needs a student given explicitly).

    temperature : float > 0, default=1.0
        ``T`` in the formula above: ``T > 1`` flattens the teacher's
        probabilities, ``T < 1`` sharpens them, ``T = 1`` keeps them. The student
        learns the softened rows as they are and predicts with them. This is
        not the student's own ``temperature`` (``student__temperature`` of a
        ``SoftLabelClassifier``), which divides the student's logits in
        training; Hinton et al. (2015) use both at once.

    hard_label_weight : float in [0, 1], default=0.0
        ``w`` in the formula above: the weight of the one-hot labels in the
        target rows. ``1`` trains the student on the hard labels alone.

    cv : int, cross-validation generator or iterable, default=5
        How the teacher is cross-fitted. An int ``k`` (or None, 5) gives
        :class:`~sklearn.model_selection.StratifiedKFold` with ``k`` folds,
        shuffled when ``random_state`` is set. A splitter or an iterable of
        ``(train, test)`` index pairs is used as given; its test parts must
        cover every row exactly once. Ignored with a ``FrozenEstimator``
        teacher.

    random_state : int, RandomState instance or None, default=None
        With an int ``cv``: None keeps the rows in their order when splitting
        them into folds (as ``cross_val_predict`` does); an int shuffles them
        reproducibly, a ``RandomState`` instance with that generator. It seeds
        nothing else: the teacher and the student keep their own
        ``random_state`` (``teacher__random_state``, ``student__random_state``).

    Attributes
    ----------
    teacher_ : classifier
        The teacher fitted on all rows (with their sample weights); the
        ``FrozenEstimator`` itself when ``teacher`` is one.

    student_ : classifier
        The student fitted on the target rows; it makes the predictions.

    classes_ : ndarray of shape (n_classes,)
        The student's classes: the labels of ``y`` (all of a frozen teacher's
        classes).

    n_features_in_ : int
        Number of features seen during fit (the student's).

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    SoftLabelClassifier : The default student.
    sklearn.model_selection.cross_val_predict : How the targets are cross-fitted.

    Notes
    -----
    Cross-fitting costs ``k`` teacher fits (plus one for ``teacher_``) per call
    to :meth:`fit`, also for every candidate and split of a grid search. A row's
    target comes from a teacher that did not see the row, so that it says what
    the teacher makes of similar rows rather than how well it memorised this
    one; whether that helps a given teacher and student is measured in the user
    guide.

    ``sample_weight`` is passed to the fit of every teacher clone (through
    scikit-learn's metadata routing when that is enabled) and of the student;
    a ValueError is raised if either ``fit`` has no ``sample_weight``
    argument. The folds themselves ignore the weights.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from sksoftce import DistillationClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> teacher = RandomForestClassifier(n_estimators=50, random_state=0)
    >>> clf = DistillationClassifier(teacher, temperature=2.0, random_state=0)
    >>> clf.fit(X, y).classes_
    array([0, 1, 2])
    >>> clf.predict(X[[0, 50, 100]])
    array([0, 1, 2])
    >>> clf.predict_proba(X[:1]).shape
    (1, 3)
    """

    _parameter_constraints: dict = {
        "teacher": [HasMethods(["fit", "predict_proba"])],
        "student": [HasMethods(["fit", "predict_proba"]), None],
        "temperature": [Interval(Real, 0, None, closed="neither")],
        "hard_label_weight": [Interval(Real, 0, 1, closed="both")],
        "cv": ["cv_object"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        teacher,
        student=None,
        *,
        temperature=1.0,
        hard_label_weight=0.0,
        cv=5,
        random_state=None,
    ):
        self.teacher = teacher
        self.student = student
        self.temperature = temperature
        self.hard_label_weight = hard_label_weight
        self.cv = cv
        self.random_state = random_state

    def _student(self):
        return SoftLabelClassifier() if self.student is None else self.student

    def _is_frozen(self):
        return isinstance(self.teacher, FrozenEstimator)

    @_fit_context(
        # The teacher and the student are validated by their own fit.
        prefer_skip_nested_validation=False
    )
    def fit(self, X, y, sample_weight=None):
        """Fit the teacher on cross-fitting folds, then the student on its targets.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data, passed to the teacher and the student as given.

        y : array-like of shape (n_samples,)
            Hard class labels. Probability targets, continuous values and
            multi-label targets raise a ValueError before any fit.

        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows in the fits of the teacher and of the student.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        y = self._check_hard_labels(y)
        check_consistent_length(X, y)
        if y.shape[0] == 0:
            raise ValueError("Found 0 samples in X and y; fit needs training rows.")
        fit_params = {}
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=np.float64, ensure_non_negative=True
            )
            fit_params["sample_weight"] = sample_weight
        student = clone(self._student())
        self._check_accepts_weights(student, "student", fit_params)

        frozen = self._is_frozen()
        if frozen:
            check_is_fitted(self.teacher)
            classes = self._frozen_teacher_classes(self.teacher, y)
        else:
            self._check_accepts_weights(self.teacher, "teacher", fit_params)
            classes = np.unique(y)
        if classes.shape[0] < 2:
            raise ValueError(
                f"{type(self).__name__} needs at least two classes to distil; y "
                f"holds {classes.shape[0]} class"
                f"{'' if classes.shape[0] == 1 else 'es'}: {classes!r}."
            )

        if frozen:
            teacher = self.teacher
            proba = teacher.predict_proba(X)
        else:
            # Columns in the order of np.unique(y), rows from the fold that
            # held them out.
            proba = cross_val_predict(
                self._teacher_for_folds(fit_params),
                X,
                y,
                cv=self._folds(y),
                method="predict_proba",
                params=fit_params,
            )
            teacher = clone(self.teacher).fit(X, y, **fit_params)

        targets = self._targets(proba, y, classes)  # (n, K)
        classes_parameter = _classes_parameter(student)
        if classes_parameter is not None:
            student.set_params(**{classes_parameter: classes})
        student.fit(X, targets, **fit_params)
        student_classes = getattr(student, "classes_", None)
        if student_classes is not None and not _same(student_classes, classes):
            raise ValueError(
                f"The student names its classes {student_classes!r}, not the labels "
                f"{classes!r}: it has no classes parameter to name the columns of "
                "its targets. Use a student that has one, such as "
                "SoftLabelClassifier."
            )

        # Everything is fitted: publish the fitted state.
        validate_data(self, X, reset=True, skip_check_array=True)
        self.teacher_ = teacher
        self.student_ = student
        return self

    # ------------------------------------------------------------ fit helpers
    def _check_hard_labels(self, y):
        if y is None:
            raise ValueError(
                f"This {type(self).__name__} estimator requires y to be passed, but "
                "the target y is None."
            )
        try:
            values = np.asarray(y)
        except (TypeError, ValueError):  # ragged: type_of_target explains
            values = None
        if values is not None and values.dtype.kind == "f":
            # Before type_of_target, whose integer cast warns on infinity.
            _assert_all_finite(values, input_name="y")
        target_type = type_of_target(y, input_name="y")
        if target_type not in _HARD_LABEL_TYPES:
            raise ValueError(
                f"Unknown label type: {target_type!r}. {type(self).__name__} takes "
                "hard class labels in y (binary or multiclass), which the teacher "
                "learns from; y holds "
                + _TARGET_READINGS.get(target_type, f"{target_type!r} targets")
                + ". To train on probability targets you already have, fit "
                "SoftLabelClassifier on them directly."
            )
        return column_or_1d(y, warn=True)

    @staticmethod
    def _check_accepts_weights(estimator, role, fit_params):
        if "sample_weight" in fit_params and not has_fit_parameter(
            estimator, "sample_weight"
        ):
            raise ValueError(
                f"sample_weight was given, but the {role}'s fit "
                f"({type(estimator).__name__}) does not take a sample_weight "
                "argument."
            )

    def _frozen_teacher_classes(self, teacher, y):
        classes = getattr(teacher, "classes_", None)
        if classes is None:
            raise ValueError(
                "The frozen teacher has no classes_ attribute, which names the "
                "columns of its predict_proba."
            )
        classes = np.asarray(classes)
        unknown = np.setdiff1d(np.unique(y), classes)
        if unknown.size:
            raise ValueError(
                f"y holds labels {unknown!r} that the frozen teacher does not "
                f"predict (its classes_ are {classes!r})."
            )
        return classes

    def _folds(self, y):
        if isinstance(self.cv, Integral) or self.cv is None:  # an int, or None for 5
            n_splits = 5 if self.cv is None else int(self.cv)
            if self.random_state is not None:
                return StratifiedKFold(
                    n_splits, shuffle=True, random_state=self.random_state
                )
            return StratifiedKFold(n_splits)
        return check_cv(self.cv, y, classifier=True)

    def _teacher_for_folds(self, fit_params):
        teacher = clone(self.teacher)
        if fit_params and _routing_enabled():
            # cross_val_predict routes the weights to a teacher that requests
            # them; this clone is ours, the caller's teacher is left as it was.
            teacher.set_fit_request(sample_weight=True)
        return teacher

    def _targets(self, proba, y, classes):
        """Softened, mixed target rows, shape (n, K), columns in classes' order."""
        proba = np.asarray(proba, dtype=np.float64)
        if proba.shape != (y.shape[0], classes.shape[0]):
            raise ValueError(
                f"The teacher's predict_proba gave shape {proba.shape}; expected "
                f"{(y.shape[0], classes.shape[0])} (rows, classes)."
            )
        row_sums = proba.sum(axis=1)
        if not (
            np.all(np.isfinite(proba)) and np.all(proba >= 0) and np.all(row_sums > 0)
        ):
            raise ValueError(
                "The teacher's predict_proba gave rows that are not probabilities "
                "(negative, non-finite, or all zero)."
            )
        targets = _soften(proba, self.temperature)
        w = float(self.hard_label_weight)
        if w > 0:
            one_hot = (y[:, None] == classes[None, :]).astype(np.float64)  # (n, K)
            targets = (1.0 - w) * targets + w * one_hot
        return targets

    # ------------------------------------------------------------ prediction
    def __sklearn_is_fitted__(self):
        return hasattr(self, "student_")

    @property
    def classes_(self):
        """ndarray of shape (n_classes,): the student's classes."""
        check_is_fitted(self)
        return self.student_.classes_

    def predict(self, X):
        """Predict class labels with the student.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        return self.student_.predict(X)

    def predict_proba(self, X):
        """Class probabilities of the student.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        check_is_fitted(self)
        return self.student_.predict_proba(X)

    @available_if(_student_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """Log-probabilities of the student.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        check_is_fitted(self)
        return self.student_.predict_log_proba(X)

    @available_if(_student_has("decision_function"))
    def decision_function(self, X):
        """Decision function of the student.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
        """
        check_is_fitted(self)
        return self.student_.decision_function(X)

    def score(self, X, y, sample_weight=None):
        """The student's score (accuracy for ``SoftLabelClassifier``).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            True labels.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        float
        """
        check_is_fitted(self)
        return self.student_.score(X, y, sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        teacher, student = get_tags(self.teacher), get_tags(self._student())
        tags.input_tags.sparse = teacher.input_tags.sparse and student.input_tags.sparse
        tags.input_tags.allow_nan = (
            teacher.input_tags.allow_nan and student.input_tags.allow_nan
        )
        tags.non_deterministic = teacher.non_deterministic or student.non_deterministic
        tags.classifier_tags.multi_label = False
        return tags


_TARGET_READINGS = {
    "continuous": "continuous values (1-D non-integral floats)",
    "continuous-multioutput": "rows of probabilities or other 2-D continuous values",
    "multilabel-indicator": (
        "multi-label indicators (one-hot rows are read so too: pass the labels "
        "as a 1-D array)"
    ),
    "multiclass-multioutput": "several labels per row (multi-output)",
    "unknown": "values of an unknown kind",
}


def _soften(proba, temperature):
    """Probability rows raised to ``1 / temperature`` and normalised again.

    Computed as a softmax of ``log(proba) / temperature``, so that large
    ``1 / temperature`` does not underflow whole rows; zeros stay zeros.

    Parameters
    ----------
    proba : ndarray of shape (n_samples, n_classes)
        Non-negative rows with a positive sum.
    temperature : float > 0

    Returns
    -------
    ndarray of shape (n_samples, n_classes), float64
    """
    proba = np.asarray(proba, dtype=np.float64)
    if temperature == 1:
        return proba / proba.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore"):
        logits = np.log(proba) / temperature  # log(0) = -inf stays -inf
    logits -= logits.max(axis=1, keepdims=True)
    with np.errstate(under="ignore"):
        soft = np.exp(logits)
    return soft / soft.sum(axis=1, keepdims=True)


def _classes_parameter(estimator):
    """Name of the parameter that names a student's classes, or None.

    ``"classes"`` itself, or ``"<last step>__classes"`` for a pipeline whose last
    step has one.
    """
    if "classes" in estimator.get_params(deep=False):
        return "classes"
    steps = getattr(estimator, "steps", None)
    if steps:
        name, last = steps[-1]
        if hasattr(last, "get_params"):
            inner = _classes_parameter(last)
            if inner is not None:
                return f"{name}__{inner}"
    return None


def _same(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and bool(np.all(a == b))
