"""Evaluations over blocks of rows in threads, and the BLAS threads lent to them."""

import threading

import numpy as np
import pytest
import scipy.sparse as sp
from threadpoolctl import threadpool_info, threadpool_limits

from sksoftce import SoftLabelClassifier
from sksoftce._losses import LOSSES, CategoricalCrossEntropy
from sksoftce._networks import Network
from sksoftce._objective import Objective


def _blas_threads():
    return {
        lib["filepath"]: lib["num_threads"]
        for lib in threadpool_info()
        if lib["user_api"] == "blas"
    }


def _objective(monkeypatch, loss="cce", hidden=(6,), dtype=np.float64, n=1000):
    """An objective over n rows of dense X in blocks of 256 rows (the smallest)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 4)).astype(dtype)
    Y = rng.dirichlet(np.ones(3), size=n)
    w = rng.uniform(0.5, 2.0, size=n)
    network = Network([4, *hidden, 3], "tanh")
    monkeypatch.setattr("sksoftce._objective._BLOCK_BYTES", 1)
    objective = Objective(network, LOSSES[loss], X, Y, w, 0.1)
    assert objective.block_rows == 256 and objective.threadable
    return objective, rng.normal(size=network.n_params)


def _record_calls(monkeypatch, objective, on_call=None):
    """Thread ids and NumPy error states of every block's loss evaluation."""
    calls = []
    original = objective.loss.loss_gradient

    def recorded(logits, *args):
        calls.append((threading.get_ident(), np.geterr()["over"], logits.shape[0]))
        if on_call is not None:
            on_call()
        return original(logits, *args)

    monkeypatch.setattr(objective.loss, "loss_gradient", recorded)
    return calls


def _compare_threaded_to_one_thread(monkeypatch, objective, theta, n_threads, dtype):
    """Evaluate (and, for linear models, take a Hessian product) in one thread and
    in ``n_threads``; assert both agree; return the threaded blocks' calls."""
    hessian = objective.network.n_layers == 1
    direction = np.random.default_rng(1).normal(size=theta.size)
    value, grad = objective(theta)
    product = objective.hessp(theta, direction) if hessian else None
    objective._proba_at = None  # evaluate again, not from the cache
    with objective.threads(n_threads):
        calls = _record_calls(monkeypatch, objective)
        threaded_value, threaded_grad = objective(theta)
        threaded_product = objective.hessp(theta, direction) if hessian else None
    # The same terms summed in another grouping: within sqrt(n) eps of the largest
    # entry, as in test_objective.py's blocked evaluation.
    rtol = np.sqrt(objective.n_samples) * np.finfo(dtype).eps
    np.testing.assert_allclose(threaded_value, value, rtol=rtol)
    np.testing.assert_allclose(
        threaded_grad, grad, rtol=rtol, atol=rtol * np.abs(grad).max()
    )
    if hessian:
        np.testing.assert_allclose(
            threaded_product, product, rtol=rtol, atol=rtol * np.abs(product).max()
        )
    # Some blocks ran outside the caller's thread.
    assert {thread for thread, _, _ in calls} - {threading.get_ident()}
    return calls


@pytest.mark.parametrize("n_threads", [2, 3])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("loss, hidden", [("cce", ()), ("bce", ()), ("cce", (7, 5))])
def test_threaded_evaluation_equals_one_thread(
    monkeypatch, n_threads, dtype, loss, hidden
):
    objective, theta = _objective(monkeypatch, loss, hidden, dtype)
    calls = _compare_threaded_to_one_thread(
        monkeypatch, objective, theta, n_threads, dtype
    )
    # 4 blocks of 256 rows at most, made a multiple of the threads: 4 blocks of 250
    # rows for 2 threads, 6 of 167 (or 165) for 3 (a pool thread may take the
    # blocks of two threads, when it is free).
    sizes = sorted(rows for _, _, rows in calls)
    assert sizes == ([250] * 4 if n_threads == 2 else [165] + [167] * 5)


@pytest.mark.parametrize("n_threads", [2, 3])
@pytest.mark.parametrize("loss, hidden", [("cce", ()), ("bce", ()), ("cce", (7, 5))])
def test_threaded_evaluation_of_sparse_x_equals_one_thread(
    monkeypatch, n_threads, loss, hidden
):
    rng = np.random.default_rng(5)
    X = sp.random(1000, 300, density=0.05, format="csr", random_state=rng)
    X_before = X.copy()
    Y = rng.dirichlet(np.ones(3), size=1000)
    network = Network([300, *hidden, 3], "relu")
    monkeypatch.setattr("sksoftce._objective._MIN_SPARSE_ENTRIES", 1000)
    objective = Objective(network, LOSSES[loss], X, Y, rng.uniform(size=1000), 0.1)
    assert objective.threadable
    theta = rng.normal(size=network.n_params)
    calls = _compare_threaded_to_one_thread(
        monkeypatch, objective, theta, n_threads, np.float64
    )
    # One share of the rows per thread, each row once.
    assert len(calls) == n_threads and sum(rows for _, _, rows in calls) == 1000
    # X is read through views of its arrays, never changed.
    for name in ("data", "indices", "indptr"):
        np.testing.assert_array_equal(getattr(X, name), getattr(X_before, name))


def test_threaded_evaluations_do_not_depend_on_timing(monkeypatch):
    objective, theta = _objective(monkeypatch)
    results = []
    for _ in range(5):
        objective._proba_at = None
        with objective.threads(2):
            value, grad = objective(theta)
        results.append((value, grad.copy()))
    for value, grad in results[1:]:
        assert value == results[0][0]
        np.testing.assert_array_equal(grad, results[0][1])


def test_worker_threads_run_in_the_callers_numpy_error_state(monkeypatch):
    objective, theta = _objective(monkeypatch)
    calls = _record_calls(monkeypatch, objective)
    with objective.threads(2), np.errstate(over="raise"):
        objective(theta)
    assert len({thread for thread, _, _ in calls}) == 2
    assert {state for _, state, _ in calls} == {"raise"}


def test_an_error_in_a_worker_thread_reaches_the_caller(monkeypatch):
    objective, theta = _objective(monkeypatch)
    caller = threading.get_ident()

    def fail_in_a_worker():
        if threading.get_ident() != caller:
            raise FloatingPointError("overflow in a worker")

    _record_calls(monkeypatch, objective, fail_in_a_worker)
    with objective.threads(2), pytest.raises(FloatingPointError, match="worker"):
        objective(theta)


def test_small_sparse_and_single_block_objectives_stay_in_one_thread(monkeypatch):
    objective, theta = _objective(monkeypatch)
    sparse = Objective(
        objective.network,
        objective.loss,
        sp.csr_matrix(objective.X),
        objective.targets,
        objective.sample_weight,
        0.1,
    )
    monkeypatch.setattr("sksoftce._objective._BLOCK_BYTES", 2**22)
    single = Objective(
        objective.network,
        objective.loss,
        objective.X,
        objective.targets,
        objective.sample_weight,
        0.1,
    )
    for other in (sparse, single):
        assert not other.threadable
        calls = _record_calls(monkeypatch, other)
        with other.threads(2):
            other(theta)
        assert {thread for thread, _, _ in calls} == {threading.get_ident()}


def _fit_recording_blas_threads(monkeypatch, n_samples, **params):
    """Fit a linear model on dense X in blocks of 256 rows; the BLAS thread counts
    seen after every iteration and the threads that evaluated the loss."""
    monkeypatch.setattr("sksoftce._objective._BLOCK_BYTES", 1)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n_samples, 5))
    y = (X[:, 0] + rng.normal(size=n_samples) > 0).astype(int)
    seen, threads = [], set()
    original = CategoricalCrossEntropy.loss_gradient

    def recorded(*args):
        threads.add(threading.get_ident())
        return original(*args)

    monkeypatch.setattr(CategoricalCrossEntropy, "loss_gradient", recorded)
    clf = SoftLabelClassifier(
        solver_options={"callback": lambda result: seen.append(_blas_threads())},
        **params,
    )
    return clf.fit(X, y), seen, threads


@pytest.mark.skipif(
    max(_blas_threads().values(), default=1) < 2, reason="BLAS has one thread here"
)
def test_a_fit_lends_the_blas_threads_to_its_evaluations_and_gives_them_back(
    monkeypatch,
):
    before = _blas_threads()
    clf, seen, threads = _fit_recording_blas_threads(monkeypatch, 2000, tol=1e-10)
    assert seen and all(set(counts.values()) == {1} for counts in seen)
    assert 1 < len(threads) <= max(before.values())
    assert _blas_threads() == before
    # The same fit in one thread: the same optimum. Each fit stops where every
    # gradient entry is below tol = 1e-10, so its parameters are within
    # sqrt(n_params) * tol / lambda_min of the optimum, lambda_min being the
    # Hessian's smallest eigenvalue (alpha / S = 5e-4 here); the two fits, within
    # twice that (1.4e-6). Measured here: 4e-17 apart.
    with threadpool_limits(1):
        serial, seen, threads = _fit_recording_blas_threads(
            monkeypatch, 2000, tol=1e-10
        )
    assert threads == {threading.get_ident()}
    n_params = serial.coefs_[0].size + serial.intercepts_[0].size
    bound = 2 * np.sqrt(n_params) * 1e-10 / (1.0 / 2000)
    np.testing.assert_allclose(clf.coefs_[0], serial.coefs_[0], rtol=0, atol=bound)
    # Small data (one block) keeps NumPy's BLAS threads.
    monkeypatch.undo()
    _, seen, _ = _fit_recording_blas_threads(monkeypatch, 200)
    numpy_blas = [path for path in before if "numpy" in path]
    assert all(counts[path] == before[path] for counts in seen for path in numpy_blas)


def test_overlapping_fits_in_threads_restore_the_blas_threads(monkeypatch):
    monkeypatch.setattr("sksoftce._objective._BLOCK_BYTES", 1)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 5))
    y = (X[:, 0] > 0).astype(int)
    before = _blas_threads()
    errors = []

    def fit():
        try:
            SoftLabelClassifier().fit(X, y)
        except Exception as exc:  # reported below
            errors.append(exc)

    workers = [threading.Thread(target=fit) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert not errors
    assert _blas_threads() == before


@pytest.mark.parametrize("where", ["caller", "pool"])
def test_an_interrupted_threaded_fit_leaves_the_estimator_and_blas_as_they_were(
    monkeypatch, where
):
    monkeypatch.setattr("sksoftce._objective._BLOCK_BYTES", 1)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 5))
    y = (X[:, 0] > 0).astype(int)
    clf = SoftLabelClassifier().fit(X, y)
    coefs = [c.copy() for c in clf.coefs_]
    before = _blas_threads()
    caller, calls = threading.get_ident(), []
    original = CategoricalCrossEntropy.loss_gradient

    def interrupted(self, *args):
        in_caller = threading.get_ident() == caller
        calls.append(in_caller)
        if len(calls) > 20 and in_caller == (where == "caller"):
            raise KeyboardInterrupt
        return original(self, *args)

    monkeypatch.setattr(CategoricalCrossEntropy, "loss_gradient", interrupted)
    with pytest.raises(KeyboardInterrupt):
        clf.fit(X, y)
    if max(before.values(), default=1) > 1:
        assert not all(calls)  # the fit did run blocks in the pool
    for ours, kept in zip(clf.coefs_, coefs, strict=True):
        np.testing.assert_array_equal(ours, kept)
    assert _blas_threads() == before
