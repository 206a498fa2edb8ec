"""MixupTransformer: mixup that yields soft targets, applied at fit time only."""

from __future__ import annotations

from dataclasses import dataclass, fields
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils import Tags, check_random_state
from sklearn.utils._metadata_requests import RequestMethod
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.metadata_routing import UNCHANGED, UNUSED, _routing_enabled
from sklearn.utils.validation import _check_sample_weight, validate_data

from ._dask import is_dask
from ._fitted_state import fit_on_copy
from ._targets import encode_targets


def n_mixed_rows(n_samples, n_rows):
    """Number of mixed rows: a float is a fraction of ``n_rows``, an int a count."""
    if isinstance(n_samples, Integral):
        return int(n_samples)
    return max(1, int(round(n_samples * n_rows)))


def mix(X, targets, sample_weight, *, alpha, n_samples, include_original, random_state):
    """Mixup of rows of ``X`` and ``targets``.

    Draws ``m`` pairs ``(i, j)`` independently with probabilities proportional to
    ``sample_weight`` and ``lam ~ Beta(alpha, alpha)`` for each, and returns the rows
    ``lam * x_i + (1 - lam) * x_j`` with targets ``lam * y_i + (1 - lam) * y_j``,
    after the original rows when ``include_original``. Mixed rows weigh
    ``mean(sample_weight)`` each, original rows keep their weight: drawn in
    proportion to their weights, samples contribute to the mix in expectation as
    their weights say, and integer weights act as repeated rows.

    Parameters
    ----------
    X : ndarray or CSR matrix of shape (n, d)
    targets : ndarray of shape (n, K)
    sample_weight : ndarray of shape (n,)
        Finite and non-negative; any finite scale, up to the largest float.
    alpha : float
    n_samples : int or float
    include_original : bool
    random_state : int, RandomState instance or None

    Returns
    -------
    X_new, targets_new, weights_new : the augmented data
    lambdas : ndarray of shape (m,)
    pairs : ndarray of shape (m, 2)
    """
    if not np.all(np.isfinite(sample_weight)):
        raise ValueError("sample_weight must be finite to draw pairs in proportion.")
    rng = check_random_state(random_state)
    n = X.shape[0]
    m = n_mixed_rows(n_samples, n)
    lambdas = rng.beta(alpha, alpha, size=m)
    # Weights relative to the largest one: the same distribution, and a cumulative
    # sum of at most n, which cannot overflow as the sum of the raw weights can.
    top = sample_weight.max()
    relative = sample_weight / top if top > 0 else sample_weight  # (n,)
    cumulative = np.cumsum(relative)
    draws = rng.random_sample((m, 2)) * cumulative[-1]
    pairs = np.minimum(np.searchsorted(cumulative, draws, side="right"), n - 1)
    first, second = pairs[:, 0], pairs[:, 1]

    lam = lambdas[:, None]
    if sp.issparse(X):
        X_mixed = sp.diags(lambdas) @ X[first] + sp.diags(1 - lambdas) @ X[second]
        X_mixed = X_mixed.astype(X.dtype).tocsr()
    else:
        X_mixed = lam.astype(X.dtype) * X[first]
        X_mixed += (1 - lam).astype(X.dtype) * X[second]
    targets_mixed = lam * targets[first] + (1 - lam) * targets[second]
    weights_mixed = np.full(m, top * (cumulative[-1] / n) if top > 0 else 0.0)
    if include_original:
        stack = sp.vstack if sp.issparse(X) else np.vstack
        X_mixed = stack([X, X_mixed])
        if sp.issparse(X_mixed):
            X_mixed = X_mixed.tocsr()
        targets_mixed = np.vstack([targets, targets_mixed])
        weights_mixed = np.concatenate([sample_weight, weights_mixed])
    return X_mixed, targets_mixed, weights_mixed, lambdas, pairs


@dataclass(slots=True)
class SamplerTags:
    """imbalanced-learn's sampler tags, declared without importing imbalanced-learn.

    The fields of ``imblearn.utils._tags.SamplerTags``.
    """

    sample_indices: bool = False


@dataclass(slots=True)
class SamplerEstimatorTags(Tags):
    """scikit-learn's tags plus ``sampler_tags``, as ``imblearn.utils._tags.Tags``."""

    sampler_tags: SamplerTags | None = None


def _register_fit_resample():
    """Make ``fit_resample`` a method scikit-learn routes metadata to.

    imbalanced-learn does so when it is imported (``imblearn/base.py`` adds it to
    scikit-learn's routed methods); only its ``Pipeline`` calls ``fit_resample``.
    """
    try:
        import imblearn.base  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            "set_fit_resample_request needs imbalanced-learn, whose Pipeline routes "
            "metadata to fit_resample: pip install imbalanced-learn "
            "(or the sksoftce[imbalanced] extra)."
        ) from exc


class TrainingMixer:
    """Fresh mixtures for training, drawn anew on every call.

    Each call mixes the rows it is given (a mini-batch, or the whole training set
    for the SciPy solvers) with new pairs and new ``lam``, using ``mixup``'s
    ``alpha``, ``n_samples`` (a count is read as a share of ``n_rows``) and
    ``include_original``. The weights of the returned rows are rescaled to sum to
    the weight of the rows given: mixup changes what the rows are, not how much they
    weigh against the penalty, so the classifier's ``alpha`` means the same with
    and without it. Targets keep their dtype.

    Parameters
    ----------
    mixup : MixupTransformer
    n_rows : int
        Number of training rows, to read an integer ``n_samples``.
    """

    def __init__(self, mixup, n_rows):
        self.mixup = mixup
        self.fraction = n_mixed_rows(mixup.n_samples, n_rows) / n_rows

    def rows_out(self, n_rows):
        """Number of rows returned for ``n_rows`` rows given."""
        mixed = n_mixed_rows(self.fraction, n_rows)
        return mixed + n_rows if self.mixup.include_original else mixed

    def __call__(self, X, targets, sample_weight, rng):
        """Return ``(X, targets, sample_weight)`` of fresh mixtures of the rows."""
        X_new, targets_new, weights_new, _, _ = mix(
            X,
            targets,
            sample_weight,
            alpha=self.mixup.alpha,
            n_samples=self.fraction,
            include_original=self.mixup.include_original,
            random_state=rng,
        )
        total = weights_new.sum()
        if total > 0:  # a batch of zero-weight rows stays at zero
            weights_new *= sample_weight.sum() / total
        return X_new, targets_new.astype(targets.dtype, copy=False), weights_new


class MixupTransformer(BaseEstimator):
    """Mixup augmentation (Zhang et al., 2018) producing soft targets.

    Mixes pairs of training rows, ``x = lam * x_i + (1 - lam) * x_j`` and
    ``y = lam * y_i + (1 - lam) * y_j`` with ``lam ~ Beta(alpha, alpha)``, where
    ``y`` is the one-hot (or soft, or multi-label) target matrix. Mixup changes
    ``y`` and the number of rows, which a step of a scikit-learn
    :class:`~sklearn.pipeline.Pipeline` cannot do, so it is applied at fit time only
    through one of two routes:

    1. ``SoftLabelClassifier(mixup=MixupTransformer(...))``: the classifier mixes
       its training data inside ``fit``, with fresh mixtures throughout the fit
       (every mini-batch for ``"adam"`` and ``"sgd"``, every
       ``mixup_redraw_every`` iterations for the SciPy solvers), keeps
       ``classes_`` in the original labels and exposes the parameters to searches
       (``clf__mixup__alpha``). Works in plain scikit-learn pipelines,
       ``GridSearchCV`` and ``cross_validate``.
    2. As a step of an :class:`imblearn.pipeline.Pipeline`, through
       :meth:`fit_resample`: applied when the pipeline fits, skipped when it
       predicts or scores. It is a one-shot resampler: the classifier after it
       fits one fixed set of mixtures. The classifier receives 2-D targets, so
       pass it ``classes=`` to keep the original labels. It is a sampler
       (``imblearn.base.is_sampler``); sample weights reach it through metadata
       routing only (see Notes).

    The transformer has no ``transform``: put in a plain scikit-learn ``Pipeline``,
    where it could not change ``y``, it makes ``fit`` raise a ``TypeError`` instead of
    being skipped silently.

    Parameters
    ----------
    alpha : float > 0, default=0.2
        Parameter of the symmetric Beta distribution of ``lam``. Small values keep
        mixed rows close to one of the pair; ``alpha=1`` mixes uniformly.

    n_samples : int or float, default=1.0
        Number of mixed rows: a float is a fraction of the input rows, an int a
        count.

    include_original : bool, default=False
        Return the original rows, followed by the mixed ones. :meth:`fit_resample`
        refuses it with sample weights that are not all equal (see Notes).

    classes : array-like of shape (K,), default=None
        Names of the target columns, as in :class:`SoftLabelClassifier`.

    multilabel : {"auto", True, False}, default="auto"
        How to read 2-D targets, as in :class:`SoftLabelClassifier`.

    random_state : int, RandomState instance or None, default=None
        Seed of the pairs and of ``lam``; ``None`` gives a different mix on each
        call.

    Attributes
    ----------
    classes_ : ndarray of shape (K,)
        What the columns of the returned target matrix stand for.

    n_features_in_ : int
        Number of features seen during the last fit.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during the last fit, when they are strings.

    target_type_ : {"binary", "multiclass", "multilabel"}
        How the targets were read.

    lambdas_ : ndarray of shape (n_mixed,)
        The ``lam`` of every mixed row of the last :meth:`fit_resample`.

    pairs_ : ndarray of shape (n_mixed, 2)
        The input rows ``(i, j)`` of every mixed row of the last :meth:`fit_resample`.

    Notes
    -----
    Sample weights: the rows of a pair are drawn with probabilities proportional
    to their weights and every mixed row weighs the same, so the mixed rows are an
    unweighted sample of the weighted data (integer weights act as repeated rows
    in distribution) and no weights travel on: :meth:`fit_resample` returns
    ``(X_new, Y_new)`` only, as imbalanced-learn's samplers do. Zero-weight rows
    are never mixed in. Original rows kept by ``include_original`` would need
    their own weights passed on, which a sampler cannot do, so unequal weights
    with ``include_original=True`` raise a ``ValueError``; inside
    ``SoftLabelClassifier(mixup=...)`` they are kept.

    In an :class:`imblearn.pipeline.Pipeline`, weights reach :meth:`fit_resample`
    through metadata routing only: with
    ``sklearn.set_config(enable_metadata_routing=True)``, call
    ``set_fit_resample_request(sample_weight=True)`` on this step and
    ``set_fit_request(sample_weight=False)`` on the classifier, then pass
    ``sample_weight=`` to the pipeline's ``fit``. Without routing,
    imbalanced-learn hands ``mixup__sample_weight`` to ``fit`` only, never to
    :meth:`fit_resample`, and the draw is unweighted. Weights of the original
    rows given to the classifier after this step would be read as weights of the
    mixed rows, which they are not: do not give the classifier weights there.

    Examples
    --------
    >>> import numpy as np
    >>> from sksoftce import MixupTransformer
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> y = np.array(["a", "a", "b", "b"])
    >>> X_mix, Y_mix = MixupTransformer(alpha=1.0, random_state=0).fit_resample(X, y)
    >>> X_mix.shape, Y_mix.shape
    ((4, 1), (4, 2))
    >>> bool(np.allclose(Y_mix.sum(axis=1), 1.0))
    True
    """

    _estimator_type = "sampler"

    # fit only checks sample_weight; on the pipeline route it is fit_resample that
    # uses them, so only fit_resample requests them (set_fit_resample_request).
    __metadata_request__fit = {"sample_weight": UNUSED}

    _parameter_constraints: dict = {
        "alpha": [Interval(Real, 0, None, closed="neither")],
        "n_samples": [
            Interval(Integral, 1, None, closed="left"),
            Interval(Real, 0, None, closed="neither"),
        ],
        "include_original": ["boolean"],
        "classes": ["array-like", None],
        "multilabel": [StrOptions({"auto"}), "boolean"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        alpha=0.2,
        *,
        n_samples=1.0,
        include_original=False,
        classes=None,
        multilabel="auto",
        random_state=None,
    ):
        self.alpha = alpha
        self.n_samples = n_samples
        self.include_original = include_original
        self.classes = classes
        self.multilabel = multilabel
        self.random_state = random_state

    def _validate(self, X, y, sample_weight):
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse="csr",
            dtype=[np.float64, np.float32],
            multi_output=True,
        )
        encoded = encode_targets(y, classes=self.classes, multilabel=self.multilabel)
        weighted = sample_weight is not None
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=np.float64, ensure_non_negative=True
        )
        if not sample_weight.max() > 0:
            raise ValueError("sample_weight has no positive weight: nothing to mix.")
        if (
            weighted
            and self.include_original
            and np.any(sample_weight != sample_weight[0])
        ):
            raise ValueError(
                "sample_weight whose values are not all equal cannot be used with "
                "include_original=True: a sampler returns no weights, and the "
                "original rows would need theirs. Use include_original=False (the "
                "mixed rows are drawn in proportion to the weights and need none), "
                "or SoftLabelClassifier(mixup=MixupTransformer(include_original="
                "True)), which keeps the weights of the original rows."
            )
        self.classes_ = encoded.classes
        self.target_type_ = encoded.target_type
        return X, encoded, sample_weight

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Check the data and learn ``classes_``; :meth:`fit_resample` mixes.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Targets in any form :class:`SoftLabelClassifier` accepts.
        sample_weight : array-like of shape (n_samples,), default=None
            Checked as :meth:`fit_resample` checks them. Not requested through
            metadata routing: :meth:`fit_resample` is what uses them.

        Returns
        -------
        self : object
        """
        fit_on_copy(self, lambda work: work._validate(X, y, sample_weight))
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_resample(self, X, y, sample_weight=None):
        """Mix the rows of ``X`` and ``y``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Targets in any form :class:`SoftLabelClassifier` accepts.
        sample_weight : array-like of shape (n_samples,), default=None
            Finite, non-negative weights: rows are drawn into pairs in proportion
            to them. With ``include_original=True`` they must be all equal (see
            Notes).

        Returns
        -------
        X_new : ndarray or CSR matrix of shape (n_new, n_features)
        Y_new : ndarray of shape (n_new, n_classes)
            Soft targets; the columns stand for ``classes_``. Binary problems give
            two columns. The rows are of equal weight, also when ``sample_weight``
            is given: no weights are returned.

        Notes
        -----
        On Dask arrays the result is lazy Dask arrays and the mixing is
        partition-local: both rows of a pair come from the same chunk, and the
        mixed rows are shared among the chunks in proportion to their rows (to
        their weight when ``sample_weight`` is given). One pass over ``y`` (not
        ``X``) fixes ``classes_``; ``lambdas_`` and ``pairs_`` are lazy too. See
        :ref:`dask`.
        """
        return fit_on_copy(self, lambda work: work._mix(X, y, sample_weight))

    def _mix(self, X, y, sample_weight):
        if is_dask(X) or is_dask(y) or is_dask(sample_weight):
            from ._dask import mix_blocks

            return mix_blocks(self, X, y, sample_weight)
        X, encoded, sample_weight = self._validate(X, y, sample_weight)
        X_new, Y_new, _, self.lambdas_, self.pairs_ = mix(
            X,
            encoded.probabilities,
            sample_weight,
            alpha=self.alpha,
            n_samples=self.n_samples,
            include_original=self.include_original,
            random_state=self.random_state,
        )
        return X_new, Y_new

    def set_fit_resample_request(self, *, sample_weight=UNCHANGED):
        """Request ``sample_weight`` for :meth:`fit_resample` (metadata routing).

        Only imbalanced-learn's ``Pipeline`` calls :meth:`fit_resample`, so this
        needs imbalanced-learn (it is imported here) and
        ``sklearn.set_config(enable_metadata_routing=True)``.

        Parameters
        ----------
        sample_weight : str, True, False, or None, \
                default=sklearn.utils.metadata_routing.UNCHANGED
            ``True`` to receive the ``sample_weight`` given to the pipeline's
            ``fit``, ``False`` not to, ``None`` to raise if it is given, a string
            to receive the metadata of that name instead.

        Returns
        -------
        self : object
            The updated object.
        """
        setter = RequestMethod("fit_resample", ["sample_weight"]).__get__(
            self, type(self)
        )
        if _routing_enabled():  # otherwise the setter raises scikit-learn's error
            _register_fit_resample()
        return setter(sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.estimator_type = "sampler"
        tags.input_tags.sparse = True
        tags.target_tags.required = True
        tags.target_tags.multi_output = self.multilabel is not False
        # As imblearn's BaseSampler declares them: sampler tags, no transformer tags.
        tags.transformer_tags = None
        return SamplerEstimatorTags(
            **{f.name: getattr(tags, f.name) for f in fields(tags)},
            sampler_tags=SamplerTags(),
        )
