"""Dask input: the objective's sums computed where the data live.

Nothing here imports Dask at module level: the base install does not need it, and
:func:`is_dask` recognises Dask collections by their type's module alone.

A full-batch evaluation (:class:`DaskObjective`) broadcasts the parameter vector to
the workers (``Client.scatter``; with Dask's local scheduler it is one key of the
graph), runs the in-memory :class:`~._objective.Objective` on every chunk of rows,
sums the chunks' float64 values and gradients in a tree on the cluster and brings
one vector back. Every chunk weighs its rows by ``sample_weight / S`` with the
total weight ``S`` of all rows, and the L2 term is added on the client, so the
result is the objective of the in-memory path whatever the chunking, up to the
order of the float64 sums.

The mini-batch solvers read the chunks one at a time on the client
(:class:`StreamedObjective`): the driver, stopping rule and optimizers are those of
:func:`~._stochastic_solver.run_epochs`, unchanged.
"""

from __future__ import annotations

import math
from functools import partial

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils.validation import (
    _check_feature_names,
    _check_n_features,
    check_is_fitted,
)

from ._losses import LOSSES
from ._objective import Objective
from ._targets import (
    MULTILABEL,
    _encode_hard_labels,
    _holds_labels,
    _names_other_labels,
    check_weight_total,
    class_weight_vector,
    encode_targets,
    ravel_column,
)

#: Chunk results summed by one task of the reduction tree.
_FAN_IN = 8
#: Names of the exceptions (anywhere in their class hierarchy) that mean a worker
#: or its data were lost, as distributed raises them.
_LOST_WORKER_ERRORS = frozenset(
    {
        "KilledWorker",
        "CommClosedError",
        "CancelledError",
        "FutureCancelledError",
        "TimeoutError",
    }
)
#: Seconds a scatter may take before the worker it waits for counts as lost.
_SCATTER_TIMEOUT = 60


def is_dask(obj):
    """Whether ``obj`` is a Dask collection, without importing Dask."""
    return type(obj).__module__.startswith("dask")


def _import_dask():
    try:
        import dask
        import dask.array as da
    except ImportError as exc:  # pragma: no cover - a Dask object came from somewhere
        raise ImportError(
            "Dask input needs the optional dependencies: pip install 'sksoftce[dask]'."
        ) from exc
    return dask, da


def _client():
    """The default ``distributed.Client``, or None (Dask's local scheduler)."""
    try:
        from distributed import default_client
    except ImportError:
        return None
    try:
        return default_client()
    except ValueError:
        return None


# ----------------------------------------------------------------- validation
def _check_known_chunks(array, name):
    if any(math.isnan(size) for sizes in array.chunks for size in sizes):
        raise ValueError(
            f"{name} has unknown chunk sizes (NaN), so its rows cannot be matched "
            f"with the other inputs; call {name}.compute_chunk_sizes() first (or "
            "build it with to_dask_array(lengths=True) from a Dask DataFrame)."
        )


def _as_dask_array(obj, name, da):
    if not is_dask(obj):
        return None
    if not isinstance(obj, da.Array):
        raise TypeError(
            f"{name} is a {type(obj).__name__}; Dask input must be dask.array.Array. "
            f"Convert it with {name}.to_dask_array(lengths=True)."
        )
    return obj


def check_dask_X(X, *, name="X", known_rows=True):
    """``X`` as a 2-D float Dask array with one chunk of columns.

    Integer and boolean data become float64, as ``validate_data`` makes them.
    """
    _, da = _import_dask()
    X = _as_dask_array(X, name, da)
    if X is None:
        raise TypeError(f"{name} must be a dask.array.Array here; got {type(X)}.")
    if X.ndim != 2:
        raise ValueError(
            f"Expected a 2-D Dask array for {name}, got {X.ndim}-D with shape "
            f"{X.shape}; reshape it to (n_samples, n_features)."
        )
    if known_rows:
        _check_known_chunks(X, name)
    elif any(math.isnan(size) for size in X.chunks[1]):
        raise ValueError(
            f"{name} has an unknown number of columns; call "
            f"{name}.compute_chunk_sizes() first."
        )
    if X.dtype not in (np.float32, np.float64):
        if X.dtype.kind not in "biuf":
            raise ValueError(
                f"{name} must hold numbers; got a Dask array of dtype {X.dtype}."
            )
        X = X.astype(np.float64)
    if len(X.chunks[1]) > 1:
        X = X.rechunk({1: -1})
    return X


def _aligned(obj, rows, n_samples, name, da):
    """``obj`` (NumPy or Dask) as a Dask array with the row chunks ``rows``."""
    array = _as_dask_array(obj, name, da)
    if array is None:
        array = np.asarray(obj)
        if array.ndim == 0 or array.shape[0] != n_samples:
            raise ValueError(
                f"Found input variables with inconsistent numbers of samples: "
                f"X has {n_samples} rows, {name} has shape {array.shape}."
            )
        chunks = (rows, *array.shape[1:])
        return da.from_array(array, chunks=chunks)
    _check_known_chunks(array, name)
    if array.ndim == 0 or array.shape[0] != n_samples:
        raise ValueError(
            f"Found input variables with inconsistent numbers of samples: X has "
            f"{n_samples} rows, {name} has shape {array.shape}."
        )
    target = (rows, *[-1] * (array.ndim - 1))
    if array.chunks[0] != rows or any(len(c) > 1 for c in array.chunks[1:]):
        array = array.rechunk(target)  # misaligned rows follow X's chunks
    return array


def _check_dask_inputs(X, y, sample_weight, *, y_name="y"):
    """Validated Dask ``X``, and ``y`` and weights aligned with its row chunks."""
    dask, da = _import_dask()
    if not is_dask(X):
        raise TypeError(
            f"X is a {type(X).__name__} while {y_name} or sample_weight is a Dask "
            "collection; pass X as a Dask array too (dask.array.from_array)."
        )
    X = check_dask_X(X)
    n_samples, rows = X.shape[0], X.chunks[0]
    if n_samples == 0:
        raise ValueError("Found array with 0 sample(s) in X; at least 1 is required.")
    if X.shape[1] == 0:
        raise ValueError("Found array with 0 feature(s) in X; at least 1 is required.")
    y = _aligned(y, rows, n_samples, y_name, da)
    if y.ndim > 2:
        raise ValueError(
            f"{y_name} must be 1-D or 2-D (n_samples, n_classes); got shape {y.shape}."
        )
    if sample_weight is not None and not is_dask(sample_weight):
        sample_weight = np.asarray(sample_weight, dtype=np.float64)
        if sample_weight.ndim == 0:
            sample_weight = da.full(n_samples, float(sample_weight), chunks=(rows,))
    if sample_weight is not None:
        sample_weight = _aligned(sample_weight, rows, n_samples, "sample_weight", da)
        if sample_weight.ndim != 1:
            raise ValueError(
                f"sample_weight must be 1-D; got shape {sample_weight.shape}."
            )
        sample_weight = sample_weight.astype(np.float64)
    return X, y, sample_weight


# ------------------------------------------------------------ target summary
def _rows_of_interest(y):
    """Indices of rows of 2-D ``y`` that decide how :func:`encode_targets` reads it.

    The rows holding the smallest and largest entry (the unit-interval check),
    with the smallest and largest row sum (the probability reading and its
    message), and the first non-finite row: :func:`encode_targets` on these rows
    reads them as it reads all of ``y``.
    """
    try:
        values = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError):
        return np.array([0])  # not numbers: the encoding's own error
    finite = np.isfinite(values).all(axis=1)
    if not finite.all():
        return np.array([np.flatnonzero(~finite)[0]])
    flat_min, flat_max = np.argmin(values), np.argmax(values)
    sums = values.sum(axis=1)
    rows = [
        flat_min // values.shape[1],
        flat_max // values.shape[1],
        np.argmin(sums),
        np.argmax(sums),
    ]
    return np.unique(rows)


def _target_summary(y):
    """A few values of a chunk of ``y`` that :func:`encode_targets` reads as all.

    1-D labels: their distinct values. 1-D probabilities: the smallest, the
    largest and one non-integral value. 2-D: see :func:`_rows_of_interest`.
    Also whether the chunk is finite (``validate_data`` refuses NaN in ``y``).
    """
    finite = True
    if y.dtype.kind in "fc":
        finite = bool(np.all(np.isfinite(y)))
    if y.shape[0] == 0:
        return y, finite
    if y.ndim == 2:
        return y[_rows_of_interest(y)], finite
    if not finite:
        return y[:1], finite
    if _holds_labels(y):
        return np.unique(y), finite
    non_integral = y[np.flatnonzero(np.mod(y, 1) != 0)[:1]]
    return np.concatenate([[y.min(), y.max()], non_integral]).astype(y.dtype), finite


def _chunk_checks(X, y, sample_weight):
    """One task per chunk: finiteness of X, a summary of y, checks of the weights."""
    x_finite = bool(np.all(np.isfinite(X)))
    summary, y_finite = _target_summary(np.asarray(y))
    weights = (np.nan, True)
    if sample_weight is not None:
        w = np.asarray(sample_weight)
        weights = (
            float(w.min()) if w.size else np.inf,
            bool(np.all(np.isfinite(w))),
        )
    return x_finite, summary, y_finite, weights


def _summarise(dask, X, y, sample_weight):
    """Compute the checks of every chunk; raise as ``validate_data`` would."""
    blocks_y = y.to_delayed().ravel()
    blocks_w = (
        sample_weight.to_delayed().ravel()
        if sample_weight is not None
        else [None] * len(blocks_y)
    )
    tasks = [
        dask.delayed(_chunk_checks)(x, y_block, w)
        for x, y_block, w in zip(
            X.to_delayed().ravel(), blocks_y, blocks_w, strict=True
        )
    ]
    results = dask.compute(*tasks)
    if not all(r[0] for r in results):
        raise ValueError("Input X contains NaN or infinity.")
    if not all(r[2] for r in results):
        raise ValueError("Input y contains NaN or infinity.")
    if sample_weight is not None:
        if not all(r[3][1] for r in results):
            raise ValueError("Input sample_weight contains NaN or infinity.")
        if min(r[3][0] for r in results) < 0:
            raise ValueError("Negative values in data passed to `sample_weight`.")
    return np.concatenate([r[1] for r in results])


def _target_mode(summary, encoded):
    """How each chunk is encoded, decided once from the summary of all of ``y``."""
    if summary.ndim == 2:
        return "multilabel" if encoded.target_type == MULTILABEL else "probabilities"
    if _holds_labels(summary) and not _names_other_labels(summary, encoded.classes):
        return "labels"
    return "positive"


def _encode_chunk(y, classes, mode):
    """Class probabilities (or label marginals) of a chunk, as for all of ``y``."""
    y = np.asarray(y)
    if mode == "labels":
        return _encode_hard_labels(y, classes)[1]
    if mode == "positive":
        return np.column_stack([1.0 - y, y]).astype(np.float64)
    return encode_targets(
        y, classes=classes, multilabel=mode == "multilabel"
    ).probabilities


def _chunk_targets(y, *, classes, mode, head, target_type, label_smoothing, dtype):
    probabilities = _encode_chunk(y, classes, mode)
    targets = head.output_targets(probabilities, target_type, label_smoothing)
    # Fortran order, as the in-memory objective keeps its targets.
    return np.asarray(targets, dtype=dtype, order="F")


def _chunk_weights(y, sample_weight, *, classes, mode, per_class):
    if sample_weight is None:
        sample_weight = np.ones(np.asarray(y).shape[0])
    if per_class is None:
        return np.asarray(sample_weight, dtype=np.float64)
    return sample_weight * (_encode_chunk(y, classes, mode) @ per_class)


def _chunk_class_counts(y, sample_weight, *, classes, mode):
    probabilities = _encode_chunk(y, classes, mode)
    if sample_weight is None:
        return probabilities.sum(axis=0)
    return sample_weight @ probabilities


def _chunk_weight_checks(sample_weight):
    return (
        float(np.sum(sample_weight, dtype=np.float64)),
        bool(np.all(np.isfinite(sample_weight))),
        float(sample_weight.max()) if sample_weight.size else 0.0,
    )


class TrainingData:
    """Validated Dask training data, persisted (unless told not to).

    Attributes
    ----------
    X : dask array of shape (n, d), float32 or float64
    targets : dask array of shape (n, n_outputs), in the dtype of ``X``
    sample_weight : dask array of shape (n,), float64
        Sample weights times class weights.
    sw_sum : float
        Their total ``S``.
    encoded : EncodedTargets
        Classes and kind of the targets; ``probabilities`` are those of the summary
        rows only.
    """

    def __init__(self, X, targets, sample_weight, sw_sum, encoded):
        self.X, self.targets, self.sample_weight = X, targets, sample_weight
        self.sw_sum, self.encoded = sw_sum, encoded


def _persist(dask, client, *collections):
    if client is not None:
        return tuple(client.persist(list(collections)))
    return dask.persist(*collections)


def training_data(
    estimator, X, y, sample_weight, *, continuing, incremental, classes, persist
):
    """Validate Dask training data the way the in-memory fit does, chunk by chunk.

    ``y`` is read from a summary of its chunks (their labels, extremes and a few
    rows), on which :func:`~._targets.encode_targets` decides exactly as on all of
    ``y``; every chunk is then encoded with that decision. One pass computes the
    checks of ``X``, ``y`` and the weights (after persisting them, when
    ``persist``), another the total weight.
    """
    dask, da = _import_dask()
    X, y, sample_weight = _check_dask_inputs(X, y, sample_weight)
    _check_n_features(estimator, X, reset=not continuing)
    _check_feature_names(estimator, X, reset=not continuing)
    keep_column = estimator.multilabel is True or (
        continuing and estimator.target_type_ == MULTILABEL
    )
    y = ravel_column(y, keep_column, stacklevel=10)
    client = _client()
    if persist:
        X, y, *rest = _persist(
            dask, client, X, y, *[w for w in [sample_weight] if w is not None]
        )
        sample_weight = rest[0] if rest else None
    summary = _summarise(dask, X, y, sample_weight)
    encoded = estimator._encode(
        summary, continuing=continuing, incremental=incremental, classes=classes
    )
    estimator._check_loss_accepts(encoded)
    mode = _target_mode(summary, encoded)
    encoding = dict(classes=encoded.classes, mode=mode)
    blocks_y = y.to_delayed().ravel()
    blocks_w = (
        sample_weight.to_delayed().ravel()
        if sample_weight is not None
        else [None] * len(blocks_y)
    )
    rows = X.chunks[0]

    per_class = None
    class_weight = estimator.class_weight
    if class_weight is not None:
        if encoded.target_type == MULTILABEL:
            raise ValueError(
                "class_weight is not supported for multi-label targets; pass "
                "sample_weight instead."
            )
        if incremental and class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' needs the class counts of all of y, "
                "which partial_fit does not see; pass class_weight as a dict."
            )
        if isinstance(class_weight, str):
            counts = sum(
                dask.compute(
                    *[
                        dask.delayed(partial(_chunk_class_counts, **encoding))(yb, wb)
                        for yb, wb in zip(blocks_y, blocks_w, strict=True)
                    ]
                )
            )
            # class_weight_vector reads the counts as sample_weight @ probabilities.
            per_class = class_weight_vector(
                class_weight, encoded.classes, counts[None, :], np.ones(1)
            )
        else:
            per_class = class_weight_vector(
                class_weight, encoded.classes, encoded.probabilities, np.ones(0)
            )
    weights = da.concatenate(
        [
            da.from_delayed(
                dask.delayed(partial(_chunk_weights, per_class=per_class, **encoding))(
                    yb, wb
                ),
                shape=(n_rows,),
                dtype=np.float64,
            )
            for yb, wb, n_rows in zip(blocks_y, blocks_w, rows, strict=True)
        ]
    )
    head = LOSSES[estimator.loss]
    n_outputs = head.n_outputs(encoded.classes.shape[0], encoded.target_type)
    make_targets = partial(
        _chunk_targets,
        head=head,
        target_type=encoded.target_type,
        label_smoothing=estimator.label_smoothing,
        dtype=X.dtype,
        **encoding,
    )
    targets = da.concatenate(
        [
            da.from_delayed(
                dask.delayed(make_targets)(yb),
                shape=(n_rows, n_outputs),
                dtype=X.dtype,
            )
            for yb, n_rows in zip(blocks_y, rows, strict=True)
        ]
    )
    if persist:
        targets, weights = _persist(dask, client, targets, weights)
    checks = dask.compute(
        *[dask.delayed(_chunk_weight_checks)(b) for b in weights.to_delayed().ravel()]
    )
    _check_total_weight(estimator, checks)
    with np.errstate(over="ignore"):
        sw_sum = float(math.fsum(c[0] for c in checks))
    return TrainingData(X, targets, weights, sw_sum, encoded)


def _check_total_weight(estimator, checks):
    what = (
        "sample_weight"
        if estimator.class_weight is None
        else "sample_weight times class_weight"
    )
    if not all(c[1] for c in checks):
        raise ValueError(f"{what} must be finite.")
    try:
        total = math.fsum(c[0] for c in checks)
    except OverflowError:
        total = math.inf
    check_weight_total(total, max(c[2] for c in checks), what)
    if not np.isfinite(estimator.alpha / total):
        raise ValueError(
            f"alpha / sum({what}) = {estimator.alpha!r} / {total!r} overflows; "
            "multiply the weights by a constant, and alpha by the same constant."
        )


# ------------------------------------------------------------- the objective
class _ChunkKernel:
    """What every chunk task needs besides its data: network, loss, ``S``."""

    def __init__(self, network, loss, sw_sum, dtype):
        self.network, self.loss = network, loss
        self.sw_sum, self.dtype = sw_sum, np.dtype(dtype)

    def objective(self, X, targets, sample_weight):
        """The in-memory objective of a chunk's data term, rows weighted by ``w/S``.

        Built with ``alpha=0``; its row weights are replaced by ``w / S`` (the
        in-memory objective divides by its own total, which for one chunk is not
        ``S``), computed as the in-memory objective computes them.
        """
        objective = Objective(
            self.network, self.loss, X, targets, np.ones(X.shape[0]), 0.0
        )
        objective.weights = np.asarray(
            np.asarray(sample_weight, dtype=np.float64) / self.sw_sum,
            dtype=self.dtype,
        )
        return objective


def _chunk_value_gradient(kernel, theta, X, targets, sample_weight):
    """``(sum_i w_i loss_i / S, its gradient)`` over a chunk, in float64."""
    value, gradient = kernel.objective(X, targets, sample_weight)(theta)
    return float(value), gradient


def _chunk_hessp(kernel, theta, direction, X, targets, sample_weight):
    """The chunk's data term's Hessian at ``theta`` times ``direction``, float64."""
    return 0.0, kernel.objective(X, targets, sample_weight).hessp(theta, direction)


def _sum_parts(*parts):
    """Sum ``(value, vector)`` pairs in float64, in the order given."""
    value = math.fsum(part[0] for part in parts)
    vector = np.array(parts[0][1], dtype=np.float64)
    for part in parts[1:]:
        vector += part[1]
    return value, vector


def _lost_worker(exc):
    return any(cls.__name__ in _LOST_WORKER_ERRORS for cls in type(exc).__mro__)


class DaskObjective:
    """The objective of :class:`~._objective.Objective` over Dask arrays.

    Same interface: ``objective(theta) -> (value, gradient)`` in float64,
    ``hessp(theta, direction)`` for linear models, ``n_samples``. Each call
    broadcasts ``theta`` once, evaluates every chunk where it lives, reduces the
    chunks' sums on the cluster and returns one vector.

    Parameters
    ----------
    network, loss
    X : dask array of shape (n, d)
    targets : dask array of shape (n, m), in the dtype of ``X``
    sample_weight : dask array of shape (n,)
    alpha : float
    sw_sum : float, default=None
        The total weight, when it is already known.
    """

    def __init__(self, network, loss, X, targets, sample_weight, alpha, *, sw_sum=None):
        dask, _ = _import_dask()
        self._dask = dask
        self.network = network
        self.n_samples = int(X.shape[0])
        if sw_sum is None:
            sw_sum = float(sample_weight.sum(dtype=np.float64).compute())
        self.sw_sum = float(sw_sum)
        self.l2 = float(alpha) / self.sw_sum
        # The chunks' delayed objects name persisted data by key only: holding the
        # arrays keeps that data on the cluster while the objective lives.
        self._arrays = (X, targets, sample_weight)
        self._blocks = [
            blocks
            for blocks, n_rows in zip(
                zip(
                    X.to_delayed().ravel(),
                    targets.to_delayed().ravel(),
                    sample_weight.to_delayed().ravel(),
                    strict=True,
                ),
                X.chunks[0],
                strict=True,
            )
            if n_rows > 0
        ]
        self._client = _client()
        kernel = _ChunkKernel(network, loss, self.sw_sum, X.dtype)
        self._kernel = self._broadcast(kernel, replicate=True)

    def _broadcast(self, value, *, replicate=False):
        """A reference to ``value`` for the tasks: scattered, never in the graph.

        The parameter vectors go to one worker, from which the others fetch them
        (a copy to every worker waits for each of them, also for one that has just
        died); the kernel, sent once per fit, goes to every worker.
        """
        if self._client is not None:
            return self._client.scatter(
                value, broadcast=replicate, hash=False, timeout=_SCATTER_TIMEOUT
            )
        return self._dask.delayed(value, pure=False)

    def _reduce(self, function, *vectors):
        dask = self._dask
        try:
            refs = [self._broadcast(v) for v in vectors]
            parts = [
                dask.delayed(function, pure=False)(self._kernel, *refs, *blocks)
                for blocks in self._blocks
            ]
            while len(parts) > 1:
                parts = [
                    dask.delayed(_sum_parts, pure=False)(*parts[i : i + _FAN_IN])
                    for i in range(0, len(parts), _FAN_IN)
                ]
            if self._client is not None:
                return self._client.compute(parts[0]).result()
            return parts[0].compute()
        except Exception as exc:
            if _lost_worker(exc):
                raise RuntimeError(
                    f"A Dask worker was lost while the objective was evaluated "
                    f"({type(exc).__name__}: {exc}); the fit was abandoned and the "
                    "estimator keeps its previous state. Fit again, or let the "
                    "scheduler retry more often (distributed.scheduler."
                    "allowed-failures)."
                ) from exc
            raise

    def __call__(self, theta):
        """Return ``(f, gradient)`` at ``theta`` over all rows, as float64."""
        theta = np.asarray(theta, dtype=np.float64)
        value, gradient = self._reduce(_chunk_value_gradient, theta)
        n_weights = self.network.n_weights
        weights = theta[:n_weights]
        value += 0.5 * self.l2 * float(weights @ weights)
        gradient[:n_weights] += self.l2 * weights
        return value, gradient

    def hessp(self, theta, direction):
        """Exact Hessian of a linear model's objective at ``theta``, times a vector."""
        theta = np.asarray(theta, dtype=np.float64)
        direction = np.asarray(direction, dtype=np.float64)
        _, product = self._reduce(_chunk_hessp, theta, direction)
        n_weights = self.network.n_weights
        product[:n_weights] += self.l2 * direction[:n_weights]
        return product


# ------------------------------------------------------------ the streaming
class _ChunkReader:
    """Rows of an epoch of Dask chunks, read one chunk at a time.

    An epoch visits the chunks in a new random order (with ``shuffle``), each
    chunk's rows in a new random order; the mini-batch driver asks for
    consecutive slices of that sequence. At most one chunk, plus the rows of a
    batch that straddles two chunks, is held in memory.
    """

    def __init__(self, dask, X, targets, sample_weight, dtype, shuffle, rng):
        self._dask = dask
        self._arrays = (X, targets, sample_weight)  # keeps persisted data alive
        blocks = zip(
            X.to_delayed().ravel(),
            targets.to_delayed().ravel(),
            sample_weight.to_delayed().ravel(),
            strict=True,
        )
        self._blocks = [b for b, n in zip(blocks, X.chunks[0], strict=True) if n > 0]
        self.dtype = dtype
        self.shuffle, self.rng = shuffle, rng
        self._order = []
        self._start = 0  # epoch position of the first buffered row
        self._buffer = None

    def _load(self):
        """Append the next chunk of the epoch to the buffer."""
        index = self._order.pop(0)
        try:
            X, targets, weights = self._dask.compute(*self._blocks[index])
        except Exception as exc:
            if _lost_worker(exc):
                raise RuntimeError(
                    f"A Dask worker was lost while a chunk was read ({exc!r}); the "
                    "estimator keeps its previous state. Fit again."
                ) from exc
            raise
        X = np.ascontiguousarray(X)
        weights = np.asarray(weights, dtype=self.dtype)
        if self.shuffle:
            rows = self.rng.permutation(X.shape[0])
            X, targets, weights = X[rows], targets[rows], weights[rows]
        if self._buffer is not None:
            X, targets, weights = (
                np.concatenate([old, new])
                for old, new in zip(self._buffer, (X, targets, weights), strict=True)
            )
        self._buffer = (X, targets, weights)

    def read(self, which, positions):
        start, stop = positions.start, positions.stop
        if which == 0:
            if start == 0:  # a new epoch
                n_blocks = len(self._blocks)
                order = self.rng.permutation(n_blocks) if self.shuffle else None
                self._order = list(range(n_blocks)) if order is None else list(order)
                self._start, self._buffer = 0, None
            if self._buffer is not None and start > self._start:
                self._buffer = tuple(a[start - self._start :] for a in self._buffer)
                self._start = start
            while self._buffer is None or self._start + len(self._buffer[0]) < stop:
                self._load()
        return self._buffer[which][start - self._start : stop - self._start]


class _RowsView:
    """One of X, targets, sample_weight as :func:`run_epochs` reads them: slices."""

    def __init__(self, reader, which, shape, dtype):
        self._reader, self._which = reader, which
        self.shape, self.dtype = shape, np.dtype(dtype)

    def __getitem__(self, positions):
        if not isinstance(positions, slice):
            raise TypeError("streamed rows are read in order, by slices")
        return self._reader.read(self._which, positions)


class StreamedObjective:
    """What :func:`~._stochastic_solver.run_epochs` needs, over Dask arrays.

    The mini-batch estimates are those of :class:`~._objective.Objective` with the
    total weight ``S`` of all rows; the rows come from one chunk at a time, in the
    order :class:`_ChunkReader` gives. Call ``run_epochs`` with ``shuffle=False``:
    the shuffling is done here.

    Parameters
    ----------
    network, loss
    X, targets, sample_weight : dask arrays with the same row chunks
    alpha : float
    max_batch_rows : int
    shuffle : bool
    rng : numpy.random.RandomState
        The order of the chunks and of their rows.
    sw_sum : float, default=None
        The total weight, when it is already known.
    """

    def __init__(
        self,
        network,
        loss,
        X,
        targets,
        sample_weight,
        alpha,
        *,
        max_batch_rows,
        shuffle,
        rng,
        sw_sum=None,
    ):
        dask, _ = _import_dask()
        if sw_sum is None:
            sw_sum = float(sample_weight.sum(dtype=np.float64).compute())
        dtype = X.dtype
        n_samples, n_features = (int(s) for s in X.shape)
        n_outputs = int(targets.shape[1])
        # An objective whose one row has weight S: its total is S, so its batch
        # estimates are those of the in-memory objective on all rows.
        self._batch_objective = Objective(
            network,
            loss,
            np.zeros((1, n_features), dtype=dtype),
            np.zeros((1, n_outputs), dtype=dtype),
            np.array([sw_sum]),
            alpha,
            max_batch_rows=max_batch_rows,
        )
        self.batch_loss_gradient = self._batch_objective.batch_loss_gradient
        self.n_samples = n_samples
        reader = _ChunkReader(dask, X, targets, sample_weight, dtype, shuffle, rng)
        self.X = _RowsView(reader, 0, (n_samples, n_features), dtype)
        self.targets = _RowsView(reader, 1, (n_samples, n_outputs), dtype)
        self.sample_weight = _RowsView(reader, 2, (n_samples,), dtype)


# ------------------------------------------------------------- prediction
def _predict_block(estimator, method, X):
    return getattr(estimator, method)(X)


def predict_blocks(estimator, method, X):
    """``estimator.method`` on every chunk of rows of Dask ``X``: a lazy Dask array."""
    check_is_fitted(estimator)
    X = check_dask_X(X, known_rows=False)
    _check_n_features(estimator, X, reset=False)
    sample = getattr(estimator, method)(np.zeros((1, X.shape[1]), dtype=X.dtype))
    function = partial(_predict_block, estimator, method)
    if sample.ndim == 1:
        return X.map_blocks(function, drop_axis=1, dtype=sample.dtype, meta=sample[:0])
    return X.map_blocks(
        function,
        chunks=(X.chunks[0], (sample.shape[1],)),
        dtype=sample.dtype,
        meta=sample[:0],
    )


# ---------------------------------------------------------------- mixup
def _largest_remainder(total, shares):
    """``total`` split in proportion to ``shares``, in integers summing to it."""
    shares = np.asarray(shares, dtype=np.float64)
    if not shares.sum() > 0:
        return np.zeros(shares.shape[0], dtype=int)
    exact = total * shares / shares.sum()
    counts = np.floor(exact).astype(int)
    remainder = total - counts.sum()
    counts[np.argsort(-(exact - counts), kind="stable")[:remainder]] += 1
    return counts


def _mix_chunk(
    X, y, sample_weight, *, encoding, alpha, n_mixed, include_original, seed
):
    from ._mixup import mix

    X = np.asarray(X)
    if not np.all(np.isfinite(X)):
        raise ValueError("Input X contains NaN or infinity.")
    probabilities = _encode_chunk(y, **encoding)
    if sample_weight is None:
        sample_weight = np.ones(X.shape[0])
    if n_mixed == 0 or X.shape[0] == 0 or not sample_weight.max() > 0:
        X_new, Y_new = X[:0], probabilities[:0]
        if include_original:
            X_new, Y_new = X, probabilities
        return X_new, Y_new, np.empty(0), np.empty((0, 2), dtype=np.intp)
    X_new, Y_new, _, lambdas, pairs = mix(
        X,
        probabilities,
        sample_weight,
        alpha=alpha,
        n_samples=int(n_mixed),
        include_original=include_original,
        random_state=seed,
    )
    return X_new, Y_new, lambdas, pairs


def mix_blocks(mixer, X, y, sample_weight):
    """Mixup within every chunk of Dask ``X`` and ``y``: lazy Dask arrays.

    ``y`` is summarised once (one pass over ``y`` only) to fix ``classes_``; the
    weights, when given, once more (the checks, and each chunk's share of the
    mixed rows). ``X`` is read only when the result is computed.
    """
    from ._mixup import n_mixed_rows

    dask, da = _import_dask()
    X, y, sample_weight = _check_dask_inputs(X, y, sample_weight)
    _check_n_features(mixer, X, reset=True)
    _check_feature_names(mixer, X, reset=True)
    blocks_y = y.to_delayed().ravel()
    blocks_w = (
        sample_weight.to_delayed().ravel()
        if sample_weight is not None
        else [None] * len(blocks_y)
    )
    results = dask.compute(*[dask.delayed(_target_summary)(b) for b in blocks_y])
    if not all(r[1] for r in results):
        raise ValueError("Input y contains NaN or infinity.")
    summary = np.concatenate([r[0] for r in results])
    encoded = encode_targets(
        summary, classes=mixer.classes, multilabel=mixer.multilabel
    )
    encoding = dict(classes=encoded.classes, mode=_target_mode(summary, encoded))
    rows = np.asarray(X.chunks[0])
    shares = rows
    if sample_weight is not None:
        stats = dask.compute(
            *[
                dask.delayed(
                    lambda w: (
                        bool(np.all(np.isfinite(w))),
                        float(w.min()) if w.size else 0.0,
                        float(w.max()) if w.size else 0.0,
                        float(np.sum(w)),
                    )
                )(b)
                for b in blocks_w
            ]
        )
        if not all(s[0] for s in stats):
            raise ValueError("Input sample_weight contains NaN or infinity.")
        low = min(s[1] for s, n in zip(stats, rows, strict=True) if n > 0)
        high = max(s[2] for s in stats)
        if low < 0:
            raise ValueError("Negative values in data passed to `sample_weight`.")
        if not high > 0:
            raise ValueError("sample_weight has no positive weight: nothing to mix.")
        if mixer.include_original and low != high:
            raise ValueError(
                "sample_weight whose values are not all equal cannot be used with "
                "include_original=True: a sampler returns no weights, and the "
                "original rows would need theirs. Use include_original=False."
            )
        shares = np.array([s[3] for s in stats])
    n_mixed = _largest_remainder(n_mixed_rows(mixer.n_samples, int(rows.sum())), shares)
    rng = check_random_state(mixer.random_state)
    seeds = rng.randint(np.iinfo(np.int32).max, size=len(rows))
    n_classes = encoded.classes.shape[0]
    parts_X, parts_Y, parts_lam, parts_pairs = [], [], [], []
    offset = 0
    for xb, yb, wb, n_rows, m, seed in zip(
        X.to_delayed().ravel(), blocks_y, blocks_w, rows, n_mixed, seeds, strict=True
    ):
        task = dask.delayed(
            partial(
                _mix_chunk,
                encoding=encoding,
                alpha=mixer.alpha,
                n_mixed=int(m),
                include_original=mixer.include_original,
                seed=int(seed),
            ),
            nout=4,
        )(xb, yb, wb)
        n_out = int(m) + (int(n_rows) if mixer.include_original else 0)
        if m == 0 and not mixer.include_original:
            n_out = 0
        parts_X.append(da.from_delayed(task[0], (n_out, X.shape[1]), dtype=X.dtype))
        parts_Y.append(da.from_delayed(task[1], (n_out, n_classes), dtype=np.float64))
        m_used = int(m) if n_rows > 0 else 0
        parts_lam.append(da.from_delayed(task[2], (m_used,), dtype=np.float64))
        parts_pairs.append(
            da.from_delayed(task[3], (m_used, 2), dtype=np.intp) + offset
        )
        offset += int(n_rows)
    mixer.classes_ = encoded.classes
    mixer.target_type_ = encoded.target_type
    mixer.lambdas_ = da.concatenate(parts_lam)
    mixer.pairs_ = da.concatenate(parts_pairs)
    return da.concatenate(parts_X), da.concatenate(parts_Y)
