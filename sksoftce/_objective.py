"""Network + loss + weights + L2 -> ``f(theta)``, its gradient and Hessian products.

The objective minimised is, with sample weights ``s_i`` and ``S = sum_i s_i``::

    f(theta) = sum_i s_i * loss_i / S  +  alpha / (2 * S) * ||weights||^2

(intercepts are not penalised). The objective receives the raw ``sample_weight`` and
``alpha`` and normalises them itself. A mini-batch ``B`` that is a uniformly drawn
fraction ``q = |B| / n`` of the rows gives the unbiased estimate::

    f_B(theta) = sum_{i in B} s_i * loss_i / (q * S)  +  alpha / (2 * S) * ||weights||^2

whose expectation over the batches is ``f``: the penalty keeps its full-data scale in
every batch (:meth:`Objective.batch_loss_gradient`).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import copy_context
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

#: Bytes of X and activations per block of rows of an evaluation over dense X: the
#: block stays in cache from the forward pass to the backward pass, and the
#: activations take one block's memory instead of n rows'.
_BLOCK_BYTES = 2**22
#: Fewest rows of a block.
_MIN_BLOCK_ROWS = 256
#: Fewest stored entries of sparse X for evaluations in threads.
_MIN_SPARSE_ENTRIES = 2**18


def _csr_row_blocks(X, n_blocks):
    """``[(view, start, stop)]``: ``n_blocks`` CSR views of consecutive rows of ``X``
    with about as many stored entries each (no copy of the entries)."""
    bounds = np.searchsorted(X.indptr, np.linspace(0, X.nnz, n_blocks + 1))
    bounds[0], bounds[-1] = 0, X.shape[0]
    blocks = []
    for start, stop in zip(bounds[:-1], bounds[1:], strict=True):
        first, last = X.indptr[start], X.indptr[stop]
        view = sp.csr_matrix(
            (
                X.data[first:last],
                X.indices[first:last],
                X.indptr[start : stop + 1] - first,
            ),
            shape=(stop - start, X.shape[1]),
            copy=False,
        )
        blocks.append((view, int(start), int(stop)))
    return blocks


class _Part(NamedTuple):
    """Buffers for the blocks that one thread evaluates."""

    work: object  # Workspace for one block
    proba: np.ndarray  # one block's probabilities
    grad_logits: np.ndarray  # one block's logit gradients
    block_grad: np.ndarray  # one block's parameter gradient
    grad: np.ndarray  # the sum of this thread's block gradients (not the first's)


class Objective:
    """Value and gradient (and, for linear models, Hessian products) of the fit.

    An evaluation runs over blocks of rows of dense ``X``: forward pass, loss and
    backward pass of one block while its rows are still in cache, the parameter
    gradients of the blocks summed in order. Sparse ``X`` is one block. Inside
    :meth:`threads`, the blocks (or, for sparse ``X``, shares of its rows and then
    of its features) are evaluated in several threads.

    Buffers (one block's activations, probabilities and logit gradients, the
    parameter gradients) are allocated once, in the dtype of ``X``; every call
    reuses them. The parameters handed in by SciPy stay float64 and are cast to the
    dtype of ``X``; the mini-batch solvers keep them in that dtype throughout.

    Parameters
    ----------
    network : Network
    loss : CategoricalCrossEntropy or BinaryCrossEntropy
    X : ndarray or sparse matrix of shape (n, d), float32 or float64
    targets : ndarray of shape (n, m)
        Targets of the network's outputs.
    sample_weight : ndarray of shape (n,)
        Raw non-negative sample weights with a positive sum ``S``.
    alpha : float
        Strength of the L2 penalty; the objective divides it by ``S``.
    max_batch_rows : int, default=None
        Most rows that :meth:`batch_loss_gradient` will be given; the buffers
        are sized for it (and for full-data evaluations when None).
    """

    def __init__(
        self, network, loss, X, targets, sample_weight, alpha, *, max_batch_rows=None
    ):
        dtype = X.dtype
        n_samples, n_outputs = targets.shape
        self.network, self.loss, self.X, self.dtype = network, loss, X, dtype
        self.n_samples = n_samples
        self.sw_sum = float(np.sum(sample_weight, dtype=np.float64))
        self.l2 = float(alpha) / self.sw_sum
        # Full-data evaluations slice blocks of rows of the targets next to the
        # logits, which are in Fortran order (see Network.allocate): keep them
        # alike. Mini-batches gather rows, which needs no copy of the targets.
        order = "F" if max_batch_rows is None else None
        self.targets = np.asarray(targets, dtype=dtype, order=order)
        self.sample_weight = np.asarray(sample_weight, dtype=dtype)
        self.weights = np.asarray(
            np.asarray(sample_weight, dtype=np.float64) / self.sw_sum, dtype=dtype
        )
        rows = n_samples if max_batch_rows is None else max(max_batch_rows, 1)
        block_rows = rows
        if not sp.issparse(X):
            row_bytes = dtype.itemsize * sum(network.layer_sizes)
            block_rows = min(rows, max(_MIN_BLOCK_ROWS, _BLOCK_BYTES // row_bytes))
        self.block_rows = block_rows
        # Full-data evaluations over sparse X (one block) take X.T @ delta from a
        # CSR copy of the transpose, made at the first backward pass: one more copy
        # of X's entries, for a gradient product 1.7 times faster than SciPy's CSC
        # product with X.T (21 vs 36 ms on 50,000 x 100,000 with 2.5M entries).
        self._X_transposed = None
        self._parts = [self._new_part()]  # buffers of each thread's blocks
        self._executor = None  # the other threads' pool, inside threads()
        self._sparse_blocks = None  # rows of X and of X.T per thread, inside threads()
        self._batch_weights = np.empty(rows, dtype=dtype)
        self.grad = np.empty(network.n_params, dtype=dtype)
        self._penalty_grad = np.empty(network.n_weights, dtype=dtype)
        self._proba_all = None  # (n, m) probabilities, kept for Hessian products
        self._proba_at = None  # theta of the last full-data evaluation
        self._last = None  # (value, gradient) at self._proba_at
        self._cache = None  # float64 buffers: theta, gradient, penalty gradient

    def _transposed(self, X_block):
        """The CSR transpose of ``X_block`` if it is the objective's sparse X."""
        if X_block is not self.X or not sp.issparse(X_block):
            return None
        if self._X_transposed is None:
            self._X_transposed = X_block.T.tocsr()
        return self._X_transposed

    def _new_part(self):
        """Buffers for the blocks of one thread: see :class:`_Part`."""
        rows, n_outputs = self.block_rows, self.targets.shape[1]
        return _Part(
            work=self.network.allocate(rows, self.dtype),
            proba=np.empty((rows, n_outputs), dtype=self.dtype, order="F"),
            grad_logits=np.empty((rows, n_outputs), dtype=self.dtype, order="F"),
            block_grad=np.empty(self.network.n_params, dtype=self.dtype),
            grad=np.empty(self.network.n_params, dtype=self.dtype),
        )

    @property
    def threadable(self):
        """Whether evaluations may run in threads: dense ``X`` of several blocks, or
        sparse ``X`` of ``_MIN_SPARSE_ENTRIES`` stored entries or more."""
        if sp.issparse(self.X):
            return self.X.nnz >= _MIN_SPARSE_ENTRIES
        return self.n_samples > self.block_rows

    @contextmanager
    def threads(self, n_threads):
        """Run evaluations over blocks of rows in ``n_threads`` threads meanwhile.

        Thread ``k`` takes blocks ``k, k + n_threads, ...`` and sums their values and
        gradients in order; the threads' sums are then added in thread order. The
        result depends on ``n_threads`` (the grouping of the sum, within rounding)
        but not on timing. Sparse ``X`` runs in two phases instead
        (:meth:`_over_sparse_blocks`). The caller makes BLAS single-threaded
        meanwhile (see :mod:`._threads`). Objectives that are not
        :attr:`threadable` stay in one thread.
        """
        n_threads = min(int(n_threads), -(-self.n_samples // _MIN_BLOCK_ROWS))
        if not self.threadable or n_threads < 2:
            yield
            return
        if sp.issparse(self.X):
            # Rows of X, and rows of X.T (features), split in equal shares of the
            # stored entries, as views: the first phase runs over the former, the
            # gradient X.T @ delta over the latter.
            X_transposed = self._transposed(self.X)
            self._sparse_blocks = (
                _csr_row_blocks(self.X, n_threads),
                _csr_row_blocks(X_transposed, n_threads),
                # A linear model's delta (the F-ordered logit gradient) in C order:
                # SciPy's X.T @ delta copies an F-ordered operand first (13.5 vs
                # 9.3 ms on the benchmark's matrix).
                np.empty(self.targets.shape, self.dtype)
                if self.network.n_layers == 1
                else None,
            )
            self._parts[1:] = [
                self._parts[0]._replace(grad=np.empty_like(self.grad))
                for _ in range(n_threads - 1)
            ]
        else:
            new = n_threads - len(self._parts)
            self._parts += [self._new_part() for _ in range(new)]
        self._executor = ThreadPoolExecutor(n_threads - 1)
        try:
            yield
        finally:
            self._executor.shutdown()
            self._executor = None
            self._sparse_blocks = None

    def _over_blocks(self, X, step, grad_out):
        """Sum ``step(X_block, rows, work, proba, grad_logits, out)`` over blocks.

        ``step`` writes the block's parameter gradient into ``out`` and returns the
        block's value; the gradients are summed into ``grad_out`` (none are computed
        when it is None). Returns the sum of the values. The blocks have equal
        sizes (within one row), as many for every thread.
        """
        if self._sparse_blocks is not None and X is self.X:
            return self._over_sparse_blocks(step, grad_out)
        n_rows = X.shape[0]
        n_parts = 1 if self._executor is None else len(self._parts)
        n_blocks = max(-(-n_rows // self.block_rows), n_parts)
        n_blocks = n_parts * -(-n_blocks // n_parts)
        size = -(-n_rows // n_blocks)
        starts = range(0, n_rows, size)

        def run(part_index):
            part = self._parts[part_index]
            # The first thread sums into grad_out itself: no copy for one thread.
            accumulated = grad_out if part_index == 0 else part.grad
            total = 0.0
            for i, start in enumerate(starts[part_index::n_parts]):
                stop = min(start + size, n_rows)
                X_block = X if stop - start == n_rows else X[start:stop]
                out = (
                    None if grad_out is None else part.block_grad if i else accumulated
                )
                total += step(
                    X_block,
                    slice(start, stop),
                    part.work.head(stop - start),
                    part.proba[: stop - start],
                    part.grad_logits[: stop - start],
                    out,
                )
                if i and grad_out is not None:
                    accumulated += part.block_grad
            return total

        total = sum(self._in_threads(run, n_parts))
        if grad_out is not None:
            for part in self._parts[1:n_parts]:
                grad_out += part.grad
        return total

    def _in_threads(self, function, n_calls):
        """``[function(k) for k in range(n_calls)]``, ``k > 0`` in the pool."""
        if n_calls == 1:
            return [function(0)]
        # Pool threads start with a fresh context: give each the caller's (NumPy's
        # error state lives there).
        futures = [
            self._executor.submit(copy_context().run, function, k)
            for k in range(1, n_calls)
        ]
        first = function(0)
        return [first, *(future.result() for future in futures)]

    def _over_sparse_blocks(self, step, grad_out):
        """:meth:`_over_blocks` over sparse X in threads, in two phases.

        Each thread runs ``step`` on its rows (views of the one set of buffers), all
        but the first layer's weight gradient, which needs every row's delta: that
        is the second phase, ``X.T @ delta`` over the threads' features.
        """
        row_blocks, feature_blocks, delta_rows = self._sparse_blocks
        n_parts = len(row_blocks)
        first = self._parts[0]
        n_first = self.network.shapes[0][0] * self.network.shapes[0][1]

        def rows_phase(k):
            X_block, start, stop = row_blocks[k]
            out = None
            if grad_out is not None:
                out = grad_out if k == 0 else self._parts[k].grad
            value = step(
                X_block,
                slice(start, stop),
                first.work.rows(start, stop),
                first.proba[start:stop],
                first.grad_logits[start:stop],
                out,
                X_grad=False,
            )
            if grad_out is not None and delta_rows is not None:
                delta_rows[start:stop] = first.grad_logits[start:stop]
            return value

        total = sum(self._in_threads(rows_phase, n_parts))
        if grad_out is None:
            return total
        for part in self._parts[1:n_parts]:
            grad_out[n_first:] += part.grad[n_first:]
        # The first layer's delta (Network.backward), of all rows.
        delta = first.work.outputs[0] if delta_rows is None else delta_rows
        grad_first = self.network.unpack(grad_out)[0][0]

        def features_phase(k):
            X_transposed, start, stop = feature_blocks[k]
            grad_first[start:stop] = X_transposed @ delta

        self._in_threads(features_phase, n_parts)
        return total

    def _data_term(self, params, X, targets, weights, grad_out, proba_store=None):
        """``sum_i weights_i * loss_i`` over the rows of ``X``; gradient in grad_out."""
        network, loss = self.network, self.loss

        def step(X_block, rows, work, proba, grad_logits, out, X_grad=True):
            logits = network.forward(X_block, params, work)
            value = loss.loss_gradient(
                logits, targets[rows], weights[rows], proba, grad_logits
            )
            if proba_store is not None:
                proba_store[rows] = proba
            if grad_out is not None:
                transposed = self._transposed(X_block)
                network.backward(
                    X_block, params, work, grad_logits, out, transposed, X_grad
                )
            return value

        return self._over_blocks(X, step, grad_out)

    def _evaluated_at(self, theta):
        """Whether the last full-data evaluation was at ``theta``.

        The first entries are compared first: a solver's new point differs in
        (nearly) all of them, and comparing all 2 million took 2 ms.
        """
        at = self._proba_at
        return (
            at is not None
            and np.array_equal(theta[:8], at[:8])
            and np.array_equal(theta, at)
        )

    def __call__(self, theta):
        """Return ``(f, gradient)`` at ``theta`` over all rows, as float64."""
        if self._evaluated_at(theta):
            value, gradient = self._last
            return value, gradient.copy()
        params = theta.astype(self.dtype, copy=False)
        value = self._data_term(
            params, self.X, self.targets, self.weights, self.grad, self._proba_all
        )
        gradient = self.grad.astype(np.float64)
        n_weights = self.network.n_weights
        if self._cache is None:  # allocated once: fresh pages cost page faults
            self._cache = (
                np.empty_like(gradient),
                np.empty_like(gradient),
                np.empty(n_weights),
            )
        at, last_gradient, penalty = self._cache
        at[...] = theta
        self._proba_at = at
        weights = theta[:n_weights]
        value += 0.5 * self.l2 * float(weights @ weights)
        gradient[:n_weights] += np.multiply(weights, self.l2, out=penalty)
        # SciPy keeps references to the gradients it is given: keep a copy.
        last_gradient[...] = gradient
        self._last = (value, last_gradient)
        return value, gradient

    def batch_loss_gradient(
        self, params, X, targets, sample_weight, grad_out, fraction
    ):
        """Unbiased estimate of ``f`` and its gradient from a mini-batch.

        Parameters
        ----------
        params : ndarray of shape (n_params,), in the dtype of the objective
        X : ndarray or sparse matrix of shape (b, d)
        targets : ndarray of shape (b, m)
        sample_weight : ndarray of shape (b,)
            Raw weights of the batch rows.
        grad_out : ndarray of shape (n_params,) or None
            Receives the gradient estimate.
        fraction : float
            Share ``q`` of the objective's rows that the batch stands for.

        Returns
        -------
        float
        """
        weights = self._batch_weights[: X.shape[0]]
        np.multiply(sample_weight, 1.0 / (fraction * self.sw_sum), out=weights)
        value = self._data_term(params, X, targets, weights, grad_out)
        n_weights = self.network.n_weights
        coefs = params[:n_weights]
        value += 0.5 * self.l2 * float(coefs @ coefs)
        if grad_out is not None:
            np.multiply(coefs, self.l2, out=self._penalty_grad)
            grad_out[:n_weights] += self._penalty_grad
        return value

    def _probabilities_at(self, theta):
        """Fill the (n, m) probabilities at ``theta``, which the Hessian reads."""
        if self._proba_all is None:  # from now on, every evaluation keeps them
            self._proba_all = np.empty_like(self.targets)
            self._proba_at = None
        if not self._evaluated_at(theta):
            self(theta)

    def hessp(self, theta, direction):
        """Exact Hessian of a linear model's objective at ``theta``, times a vector."""
        self._probabilities_at(theta)
        network, loss = self.network, self.loss
        direction_cast = direction.astype(self.dtype, copy=False)

        def step(X_block, rows, work, proba, grad_logits, out, X_grad=True):
            # The curvature goes where the logit gradient of an evaluation goes:
            # the first layer's delta is in grad_logits for both (see _over_blocks).
            logit_direction = network.linear_direction(X_block, direction_cast, proba)
            curvature = loss.hessian_product(
                self._proba_all[rows], self.weights[rows], logit_direction, grad_logits
            )
            transposed = self._transposed(X_block)
            network.backward(X_block, theta, work, curvature, out, transposed, X_grad)
            return 0.0

        self._over_blocks(self.X, step, self.grad)
        product = self.grad.astype(np.float64)
        product[: network.n_weights] += self.l2 * direction[: network.n_weights]
        return product

    def hessian(self, theta):
        """Exact Hessian of a linear model's objective at ``theta``, dense, float64.

        With the intercept as a last feature of ones, ``x~ = [x, 1]``, the block of
        outputs ``(k, j)`` is ``sum_i h_kj(i) x~_i x~_i^T`` (the loss's
        :meth:`curvature_pairs`), one matrix product per pair ``k <= j`` and block
        of rows; the parameter layout (coefficients ``(d, m)`` raveled, then the
        ``m`` intercepts) is that of the array ``(d + 1, m, d + 1, m)``, reshaped.
        It takes ``(d + 1)**2 m**2`` float64 entries.
        """
        self._probabilities_at(theta)
        X, loss = self.X, self.loss
        n_samples, n_features = X.shape
        n_outputs = self.targets.shape[1]
        blocks = np.zeros((n_features + 1, n_outputs, n_features + 1, n_outputs))
        if sp.issparse(X):
            ones = sp.csr_matrix(np.ones((n_samples, 1), dtype=self.dtype))
            augmented = sp.hstack([X, ones], format="csr")
            step = n_samples
        else:
            step = self.block_rows
            augmented = np.empty((step, n_features + 1), dtype=self.dtype)
            augmented[:, -1] = 1.0
            scaled = np.empty_like(augmented)
        for start in range(0, n_samples, step):
            rows = slice(start, min(start + step, n_samples))
            if sp.issparse(X):
                X_rows = augmented
            else:
                X_rows = augmented[: rows.stop - start]
                X_rows[:, :-1] = X[rows]
            pairs = loss.curvature_pairs(self._proba_all[rows], self.weights[rows])
            for k, j, h in pairs:
                if sp.issparse(X):
                    block = (X_rows.T @ X_rows.multiply(h[:, None])).toarray()
                else:
                    out = np.multiply(X_rows, h[:, None], out=scaled[: len(h)])
                    block = X_rows.T @ out
                blocks[:, k, :, j] += block
        for k in range(n_outputs):  # the pairs j < k by symmetry
            for j in range(k):
                blocks[:, k, :, j] = blocks[:, j, :, k].T
        size = (n_features + 1) * n_outputs
        hessian = blocks.reshape(size, size)
        n_weights = self.network.n_weights
        hessian[np.arange(n_weights), np.arange(n_weights)] += self.l2
        return hessian
