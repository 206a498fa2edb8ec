"""Benchmarks of sksoftce against scikit-learn, measured in the same run.

``python -m benchmarks`` runs every case; ``--quick`` runs smaller sizes and fewer
repeats (under two minutes on 2 cores). Each case runs ours and the peer alternately,
reports medians of the repeats and the ratio ours / peer, checks that both reached
the same result where they should, and the whole table is written as Markdown and
JSON to ``benchmarks/results/``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
import tracemalloc
import warnings
from functools import partial
from pathlib import Path

import numpy as np
import scipy
import scipy.sparse as sp
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.neural_network import MLPClassifier

import sksoftce
from sksoftce import SoftLabelClassifier, _objective
from sksoftce._threads import lend_blas_threads

RESULTS = Path(__file__).resolve().parent / "results"
N_FEATURES, N_CLASSES = 100, 10


# ------------------------------------------------------------------ measuring
def alternate(runs, repeats, warm_up=False):
    """Run each callable ``repeats`` times, alternating, and return the times.

    ``warm_up`` runs each once untimed first (page faults of fresh buffers).
    """
    times = {name: [] for name in runs}
    names = list(runs)
    if warm_up:
        for run in runs.values():
            run()
    for r in range(repeats):
        for name in names[r % 2 :] + names[: r % 2]:  # alternate who goes first
            start = time.perf_counter()
            runs[name]()
            times[name].append(time.perf_counter() - start)
    return times


def peak_memory(func):
    """Peak bytes allocated through Python's and NumPy's allocators during ``func``."""
    tracemalloc.start()
    try:
        func()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


class EvaluationTimer:
    """Times every loss-and-gradient evaluation inside fits of either estimator."""

    def __init__(self):
        self.times = {"ours": [], "sklearn": []}

    def ours(self, clf, X, y):
        original = _objective.Objective.__call__
        times = self.times["ours"]

        def timed(objective, theta):
            if objective._evaluated_at(theta):
                return original(objective, theta)  # a cache hit, not an evaluation
            start = time.perf_counter()
            result = original(objective, theta)
            times.append(time.perf_counter() - start)
            return result

        _objective.Objective.__call__ = timed
        try:
            return clf.fit(X, y)
        finally:
            _objective.Objective.__call__ = original

    def sklearn(self, mlp, X, y):
        original = mlp._loss_grad_lbfgs
        times = self.times["sklearn"]

        def timed(*args):
            start = time.perf_counter()
            result = original(*args)
            times.append(time.perf_counter() - start)
            return result

        mlp._loss_grad_lbfgs = timed
        try:
            return mlp.fit(X, y)
        finally:
            del mlp._loss_grad_lbfgs


# ------------------------------------------------------------------ data
def teacher_data(n, dtype=np.float64, seed=0, hidden=(32,)):
    """Gaussian features; labels sampled from a random tanh network's softmax."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, N_FEATURES))
    h = X
    for size in hidden:
        h = np.tanh(h @ rng.standard_normal((h.shape[1], size)) / np.sqrt(h.shape[1]))
    logits = 3 * h @ rng.standard_normal((h.shape[1], N_CLASSES)) / np.sqrt(h.shape[1])
    proba = np.exp(logits - logits.max(axis=1, keepdims=True))
    proba /= proba.sum(axis=1, keepdims=True)
    y = (proba.cumsum(axis=1) > rng.random((n, 1))).argmax(axis=1)
    return X.astype(dtype), y, proba


def gemm_rate(dtype, size=3000, repeats=3):
    """FLOP/s of this machine's matrix multiply (square, ``size``), median of repeats."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((size, size)).astype(dtype)
    out = np.empty_like(a)
    np.matmul(a, a, out=out)
    times = alternate({"gemm": lambda: np.matmul(a, a, out=out)}, repeats)["gemm"]
    return 2 * size**3 / np.median(times)


def gemm_floor(n, sizes, dtype, repeats, batches=1):
    """Median time of just the matrix products of ``batches`` evaluations on ``n`` rows.

    A lower bound. Forward ``A_l @ W_l`` for every layer, backward ``A_l.T @ D_l``
    for every layer and ``D_l @ W_l.T`` for every layer but the first, on
    preallocated buffers; ``batches`` > 1 repeats them as one epoch of mini-batches
    of ``n`` rows would.
    """
    rng = np.random.default_rng(0)
    acts = [rng.standard_normal((n, s)).astype(dtype) for s in sizes]
    weights = [
        rng.standard_normal((a, b)).astype(dtype)
        for a, b in zip(sizes[:-1], sizes[1:], strict=True)
    ]
    grads = [np.empty_like(w) for w in weights]

    def products():
        for _ in range(batches):
            for layer, w in enumerate(weights):
                np.matmul(acts[layer], w, out=acts[layer + 1])
            for layer in range(len(weights) - 1, -1, -1):
                np.matmul(acts[layer].T, acts[layer + 1], out=grads[layer])
                if layer > 0:
                    np.matmul(acts[layer + 1], weights[layer].T, out=acts[layer])

    with np.errstate(all="ignore"):  # the values grow over repeats; only time matters
        times = alternate({"floor": products}, repeats, warm_up=True)["floor"]
    return float(np.median(times))


def mlp_flops(n, sizes):
    """FLOPs of one forward and backward pass (no gradient with respect to X)."""
    forward = sum(2 * n * a * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))
    back_deltas = sum(
        2 * n * a * b for a, b in zip(sizes[1:-1], sizes[2:], strict=True)
    )
    return 2 * forward + back_deltas


# ------------------------------------------------------------------ cases
def case_linear_hard(n, repeats, tol=1e-6):
    X, y, _ = teacher_data(n, hidden=())
    C = 1.0
    ours = SoftLabelClassifier(alpha=1 / C, tol=tol, max_iter=1000)
    peer = LogisticRegression(C=C, tol=tol, max_iter=1000)
    times = alternate(
        {"ours": lambda: ours.fit(X, y), "peer": lambda: peer.fit(X, y)}, repeats
    )
    agreement = float(np.abs(ours.coef_ - peer.coef_).max() / np.abs(peer.coef_).max())
    return dict(
        case="1. linear, hard labels",
        setting=f"n={n:,}, d={N_FEATURES}, K={N_CLASSES}, tol={tol:g}, whole fit",
        peer="LogisticRegression(C=1)",
        times=times,
        target=0.5,
        check=f"coef rel. diff {agreement:.1e} (<= 1e-4: {agreement <= 1e-4}); "
        f"iterations {ours.n_iter_} vs {int(peer.n_iter_[0])}",
        passed_check=agreement <= 1e-4,
    )


def case_linear_soft(n, repeats, tol=1e-6):
    rng = np.random.default_rng(1)
    X, y, _ = teacher_data(n, hidden=())
    Y = rng.dirichlet(np.full(N_CLASSES, 0.5), size=n)

    def expanded_fit():
        X_rep = np.repeat(X, N_CLASSES, axis=0)
        y_rep = np.tile(np.arange(N_CLASSES), n)
        return LogisticRegression(C=1.0, tol=tol, max_iter=1000).fit(
            X_rep, y_rep, sample_weight=Y.ravel()
        )

    def soft_fit():
        return SoftLabelClassifier(alpha=1.0, tol=tol, max_iter=1000).fit(X, Y)

    times = alternate({"ours": soft_fit, "peer": expanded_fit}, repeats)
    memory = {"ours": peak_memory(soft_fit), "peer": peak_memory(expanded_fit)}
    ours, peer = soft_fit(), expanded_fit()
    agreement = float(np.abs(ours.coef_ - peer.coef_).max() / np.abs(peer.coef_).max())
    return dict(
        case="2. linear, soft labels",
        setting=f"n={n:,}, Dirichlet(0.5) targets, K={N_CLASSES}, whole fit",
        peer=f"LogisticRegression on rows repeated {N_CLASSES}x with weights",
        times=times,
        memory=memory,
        target=0.2,
        memory_target=0.2,
        check=f"coef rel. diff {agreement:.1e}; peak memory ratio "
        f"{memory['ours'] / memory['peer']:.3f} (target <= 0.2)",
        passed_check=agreement <= 1e-4 and memory["ours"] <= 0.2 * memory["peer"],
    )


def case_mlp(n, hidden, dtype, repeats, max_iter):
    X, y, _ = teacher_data(n, dtype=dtype)
    params = dict(
        hidden_layer_sizes=hidden, alpha=1e-4, max_iter=max_iter, random_state=0
    )
    timer = EvaluationTimer()
    results = {}

    def run_ours():
        results["ours"] = timer.ours(SoftLabelClassifier(tol=0.0, **params), X, y)

    def run_peer():
        results["peer"] = timer.sklearn(
            MLPClassifier(solver="lbfgs", tol=0.0, **params), X, y
        )

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fit_times = alternate({"ours": run_ours, "peer": run_peer}, repeats)
    # Same initial weights (same Glorot draws), same objective, same L-BFGS-B: the
    # two fits follow the same path for the first iterations at least.
    ours_loss, peer_loss = results["ours"].loss_, results["peer"].loss_
    eval_times = {"ours": timer.times["ours"], "peer": timer.times["sklearn"]}
    floor = gemm_floor(n, [N_FEATURES, *hidden, N_CLASSES], dtype, repeats=5)
    floor_ratio = floor / float(np.median(eval_times["peer"]))
    own_ratio = float(np.median(eval_times["ours"])) / floor
    name = dtype.__name__
    rows = [
        dict(
            case="3. MLP, time per evaluation",
            setting=f"{hidden}, n={n:,}, {name}",
            peer="MLPClassifier(solver='lbfgs')",
            times=eval_times,
            target=0.25 if dtype == np.float64 else 0.15,
            check=f"{len(eval_times['ours'])} and {len(eval_times['peer'])} evaluations; "
            f"the bare matrix products of one evaluation take {1e3 * floor:.1f} ms = "
            f"{floor_ratio:.3f} x peer; our evaluation = {own_ratio:.2f} x those "
            "products (target <= 1.15)",
            passed_check=own_ratio <= 1.15,
            floor_s=floor,
            floor_ratio_ours=own_ratio,
        ),
        dict(
            case="3. MLP, whole fit",
            setting=f"{hidden}, n={n:,}, {name}, max_iter={max_iter}",
            peer="MLPClassifier(solver='lbfgs')",
            times=fit_times,
            target=None,
            check=f"final objective {ours_loss:.5f} vs {peer_loss:.5f}",
            passed_check=abs(ours_loss - peer_loss) <= 1e-3 * abs(peer_loss) + 1e-3,
        ),
    ]
    return rows, results["ours"]


def case_sparse(n, repeats, tol=1e-4):
    rng = np.random.default_rng(2)
    d, K, density = 100_000, 20, 0.0005
    X = sp.random(
        n, d, density=density, format="csr", random_state=rng, data_rvs=rng.random
    )
    W = rng.standard_normal((d, K)) * 3
    logits = X @ W
    y = (logits + rng.gumbel(size=logits.shape)).argmax(axis=1)
    ours = SoftLabelClassifier(alpha=1.0, tol=tol, max_iter=1000)
    peer = LogisticRegression(C=1.0, tol=tol, max_iter=1000)
    times = alternate(
        {"ours": lambda: ours.fit(X, y), "peer": lambda: peer.fit(X, y)}, repeats
    )
    agreement = float(np.abs(ours.predict_proba(X) - peer.predict_proba(X)).max())
    return dict(
        case="4. sparse text-like",
        setting=f"CSR n={n:,}, d={d:,}, density {density:.2%}, K={K}, tol={tol:g}",
        peer="LogisticRegression(C=1)",
        times=times,
        target=0.7,
        check=f"max |proba diff| {agreement:.1e}",
        passed_check=agreement <= 1e-3,
    )


def case_scaling(sizes, repeats):
    rows = []
    for label, hidden in [("linear", ()), ("MLP (100,)", (100,))]:
        medians = []
        for n in sizes:
            X, y, _ = teacher_data(n)
            objective, theta = _objective_for(X, y, hidden)
            jitter = np.random.default_rng(0)
            times = alternate(
                # A new theta each call, so the objective's cache is never hit.
                {
                    "ours": lambda objective=objective, theta=theta, jitter=jitter: (
                        objective(theta + 1e-9 * jitter.random())
                    )
                },
                repeats,
                warm_up=True,
            )
            medians.append(float(np.median(times["ours"])))
        slope = float(np.polyfit(np.log(sizes), np.log(medians), 1)[0])
        rows.append(
            dict(
                case="5. scaling",
                setting=f"{label}, time per evaluation, n = "
                + ", ".join(f"{n:.0e}" for n in sizes),
                peer=None,
                times={"ours": medians},
                target=None,
                check=f"fitted exponent {slope:.2f}; medians (ms) "
                + ", ".join(f"{1e3 * m:.1f}" for m in medians),
                passed_check=abs(slope - 1) <= 0.15,
            )
        )
    return rows


def _objective_for(X, y, hidden, alpha=1e-4):
    """Our objective on hard labels, with unit weights, and its initial parameters."""
    from sksoftce._losses import LOSSES
    from sksoftce._networks import Network

    n = X.shape[0]
    network = Network([X.shape[1], *hidden, N_CLASSES], "relu")
    targets = np.eye(N_CLASSES)[y]
    objective = _objective.Objective(
        network, LOSSES["cce"], X, targets, np.ones(n), alpha
    )
    return objective, network.initial_parameters(0)


def case_efficiency(n, repeats):
    hidden = (256, 128)
    X, y, _ = teacher_data(n)
    objective, theta = _objective_for(X, y, hidden)
    rate = gemm_rate(np.float64)
    jitter = np.random.default_rng(0)
    times = alternate(
        {"ours": lambda: objective(theta + 1e-9 * jitter.random())},
        repeats,
        warm_up=True,
    )
    median = float(np.median(times["ours"]))
    flops = mlp_flops(n, [N_FEATURES, *hidden, N_CLASSES])
    fraction = flops / median / rate
    return dict(
        case="6. efficiency",
        setting=f"MLP {hidden}, n={n:,}, float64, time per evaluation",
        peer=None,
        times={"ours": times["ours"]},
        target=None,
        check=f"{flops / 1e9:.1f} GFLOP in {1e3 * median:.0f} ms = {flops / median / 1e9:.0f} "
        f"GFLOP/s; machine GEMM {rate / 1e9:.0f} GFLOP/s; fraction {fraction:.2f} "
        "(target >= 0.40)",
        passed_check=fraction >= 0.40,
        fraction=fraction,
    )


def case_mlp_memory(n, hidden):
    X, y, _ = teacher_data(n)

    def fit():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            SoftLabelClassifier(
                hidden_layer_sizes=hidden, max_iter=5, random_state=0
            ).fit(X, y)

    peak = peak_memory(fit)
    activations = n * (sum(hidden) + N_CLASSES) * X.itemsize
    allowed = 3 * activations  # beyond the input, which fit does not copy
    return dict(
        case="peak memory of an MLP fit",
        setting=f"{hidden}, n={n:,}, float64, 5 iterations",
        peer=None,
        times={},
        target=None,
        check=f"peak {peak / 2**20:.0f} MiB beyond the {X.nbytes / 2**20:.0f} MiB input; "
        f"3 copies of the activations = {allowed / 2**20:.0f} MiB",
        passed_check=peak <= allowed,
    )


class InlinedAdamEpoch:
    """One adam epoch of a one-hidden-layer relu MLP with CCE, written out in NumPy.

    A bound for the package's epoch: every product and update of one mini-batch
    step inlined into one loop over preallocated buffers, with no validation, no
    sample weights, no options and no function calls per batch besides NumPy's. What
    the package takes beyond it is the price of its abstractions and checks.
    """

    def __init__(self, X, y, hidden, n_classes, batch_size, alpha, seed=0):
        dtype = X.dtype
        n, d = X.shape
        self.X, self.batch_size, self.rng = X, batch_size, np.random.default_rng(seed)
        self.targets = np.eye(n_classes, dtype=dtype)[y]
        sizes = [d * hidden, hidden * n_classes, hidden, n_classes]
        ends = np.cumsum(sizes)
        self.theta = self.rng.uniform(-0.1, 0.1, ends[-1]).astype(dtype)
        self.grad = np.empty_like(self.theta)
        views = [np.split(a, ends[:-1]) for a in (self.theta, self.grad)]
        (W1, W2, self.b1, self.b2), (G1, G2, self.g1, self.g2) = views
        self.W1, self.W2 = W1.reshape(d, hidden), W2.reshape(hidden, n_classes)
        self.G1, self.G2 = G1.reshape(d, hidden), G2.reshape(hidden, n_classes)
        self.n_weights = ends[1]
        self.l2 = alpha / n
        self.m, self.v, self.step = (np.zeros_like(self.theta) for _ in range(3))
        b = batch_size
        self.Xb, self.Tb = np.empty((b, d), dtype), np.empty((b, n_classes), dtype)
        self.H, self.D = np.empty((b, hidden), dtype), np.empty((b, hidden), dtype)
        self.Z, self.E = (
            np.empty((b, n_classes), dtype),
            np.empty((b, n_classes), dtype),
        )
        self.zeros, self.mask = (
            np.zeros((b, hidden), dtype),
            np.empty((b, hidden), bool),
        )
        self.ones, self.row = np.ones(b, dtype), np.empty(b, dtype)
        self.t = 0

    def epoch(self):
        X, n, b = self.X, self.X.shape[0], self.batch_size
        H, Z, E, D, Xb, Tb, row = (
            self.H,
            self.Z,
            self.E,
            self.D,
            self.Xb,
            self.Tb,
            self.row,
        )
        m, v, step, theta, grad = self.m, self.v, self.step, self.theta, self.grad
        weights, weight_grad = theta[: self.n_weights], grad[: self.n_weights]
        order = self.rng.permutation(n)
        total = 0.0
        for start in range(0, n - b + 1, b):
            rows = order[start : start + b]
            np.take(X, rows, axis=0, out=Xb)
            np.take(self.targets, rows, axis=0, out=Tb)
            np.matmul(Xb, self.W1, out=H)
            H += self.b1
            np.maximum(H, self.zeros, out=H)
            np.matmul(H, self.W2, out=Z)
            Z += self.b2
            np.max(Z, axis=1, out=row)
            Z -= row[:, None]
            np.exp(Z, out=E)
            np.sum(E, axis=1, out=row)
            total += float(np.log(row).sum() - np.vdot(Tb, Z))
            E /= row[:, None]
            E -= Tb
            E *= 1.0 / b
            np.matmul(H.T, E, out=self.G2)
            np.matmul(self.ones, E, out=self.g2)
            np.matmul(E, self.W2.T, out=D)
            np.greater(H, 0.0, out=self.mask)
            D *= self.mask
            np.matmul(Xb.T, D, out=self.G1)
            np.matmul(self.ones, D, out=self.g1)
            total += 0.5 * self.l2 * float(weights @ weights)
            np.multiply(weights, self.l2, out=step[: self.n_weights])
            weight_grad += step[: self.n_weights]
            self.t += 1
            m *= 0.9
            np.multiply(grad, 0.1, out=step)
            m += step
            v *= 0.999
            np.square(grad, out=step)
            step *= 0.001
            v += step
            rate = 1e-3 * np.sqrt(1 - 0.999**self.t) / (1 - 0.9**self.t)
            np.sqrt(v, out=step)
            step += 1e-8
            np.divide(m, step, out=step)
            step *= rate
            theta -= step
        return total


def case_adam_epoch(n, dtype, repeats, hidden=(100,), batch_size=200):
    X, y, _ = teacher_data(n, dtype=dtype)
    classes = np.arange(N_CLASSES)
    params = dict(
        hidden_layer_sizes=hidden,
        solver="adam",
        batch_size=batch_size,
        alpha=1e-4,
        learning_rate_init=1e-3,
        shuffle=True,
        random_state=0,
    )
    ours = SoftLabelClassifier(loss="cce", **params)
    peer = MLPClassifier(**params)
    # The first call initialises (Glorot draws, optimiser state) and is not timed;
    # every later call on all of X is exactly one epoch for both.
    ours.partial_fit(X, y, classes=classes)
    peer.partial_fit(X, y, classes=classes)
    inlined = InlinedAdamEpoch(X, y, hidden[0], N_CLASSES, batch_size, params["alpha"])
    inlined.epoch()
    times = alternate(
        {
            "ours": lambda: ours.partial_fit(X, y),
            "peer": lambda: peer.partial_fit(X, y),
            "inlined": inlined.epoch,
        },
        repeats,
    )
    inlined_ratio = float(np.median(times.pop("inlined")) / np.median(times["peer"]))
    n_batches = -(-n // batch_size)
    floor = gemm_floor(
        batch_size, [N_FEATURES, *hidden, N_CLASSES], dtype, 5, batches=n_batches
    )
    floor_ratio = floor / float(np.median(times["peer"]))
    # Same start, same objective, same optimiser, different batch orders: after the
    # same epochs the two training log losses should be close.
    losses = {
        "ours": log_loss(y, ours.predict_proba(X), labels=classes),
        "peer": log_loss(y, peer.predict_proba(X), labels=classes),
    }
    finite = all(np.isfinite(v) for v in losses.values())
    spread = max(losses.values()) / min(losses.values()) if finite else np.inf
    computes = {
        "ours": ours.coefs_[0].dtype.name,
        "peer": peer.coefs_[0].dtype.name,
    }
    epochs = repeats + 1
    return dict(
        case="7. adam epoch",
        setting=f"MLP {hidden}, n={n:,}, d={N_FEATURES}, K={N_CLASSES}, "
        f"batch_size={batch_size}, {np.dtype(dtype).name}, one partial_fit epoch",
        peer="MLPClassifier(solver='adam')",
        times=times,
        target=0.5,
        check=f"computes in {computes['ours']} vs {computes['peer']}; training log "
        f"loss after {epochs} epochs {losses['ours']:.4f} vs {losses['peer']:.4f} "
        f"(finite, within 10%: {spread <= 1.1}); the bare matrix products of one "
        f"epoch ({n_batches} batches) take {1e3 * floor:.1f} ms = {floor_ratio:.3f} "
        f"x peer; the same epoch inlined in NumPy (InlinedAdamEpoch) takes "
        f"{inlined_ratio:.3f} x peer",
        passed_check=finite and spread <= 1.1,
        floor_s=floor,
        floor_ratio=floor_ratio,
        inlined_numpy_ratio=inlined_ratio,
        log_loss=losses,
        computes_in=computes,
    )


def case_minibatch_memory(sizes, hidden=(100,)):
    """Peak memory of one adam epoch beyond X, at two sizes: its growth per row."""
    params = dict(hidden_layer_sizes=hidden, solver="adam", max_iter=1, random_state=0)
    peaks = {"ours": [], "peer": []}
    for n in sizes:
        X, y, _ = teacher_data(n)
        estimators = {
            "ours": SoftLabelClassifier(**params),
            "peer": MLPClassifier(**params),
        }
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            for name, estimator in estimators.items():
                peaks[name].append(peak_memory(partial(estimator.fit, X, y)))
    rows_added = sizes[-1] - sizes[0]
    growth = {
        name: (values[-1] - values[0]) / rows_added for name, values in peaks.items()
    }
    x_row = N_FEATURES * np.dtype(np.float64).itemsize
    target_row = N_CLASSES * np.dtype(np.float64).itemsize
    mib = ", ".join(f"{p / 2**20:.1f}" for p in peaks["ours"])
    peer_mib = ", ".join(f"{p / 2**20:.1f}" for p in peaks["peer"])
    return dict(
        case="8. mini-batch memory",
        setting=f"fit, adam, max_iter=1, MLP {hidden}, d={N_FEATURES}, "
        f"K={N_CLASSES}, float64, n = " + ", ".join(f"{n:,}" for n in sizes),
        peer=None,
        times={},
        target=None,
        check=f"peak beyond X {mib} MiB; growth {growth['ours']:.0f} B/row "
        f"= {growth['ours'] / target_row:.1f} x one (n, K) float64 row "
        f"({target_row} B) vs X's own {x_row} B/row (below it: "
        f"{growth['ours'] < x_row}); MLPClassifier {peer_mib} MiB, "
        f"{growth['peer']:.0f} B/row",
        passed_check=growth["ours"] < x_row,
        peaks=peaks,
        growth_bytes_per_row=growth,
    )


def case_newton(n, repeats, tol=1e-8):
    """Full-Hessian solvers: trust-exact against LogisticRegression's newton-cholesky."""
    X, y, _ = teacher_data(n, hidden=())
    ours = SoftLabelClassifier(alpha=1.0, solver="trust-exact", tol=tol, max_iter=100)
    peer = LogisticRegression(C=1.0, solver="newton-cholesky", tol=tol, max_iter=100)
    times = alternate(
        {"ours": lambda: ours.fit(X, y), "peer": lambda: peer.fit(X, y)}, repeats
    )
    agreement = float(np.abs(ours.coef_ - peer.coef_).max() / np.abs(peer.coef_).max())
    n_params = (N_FEATURES + 1) * N_CLASSES
    return dict(
        case="9. Newton, linear",
        setting=f"n={n:,}, d={N_FEATURES}, K={N_CLASSES}, tol={tol:g}, whole fit, "
        "solver='trust-exact'",
        peer="LogisticRegression(solver='newton-cholesky')",
        times=times,
        target=None,
        check=f"coef rel. diff {agreement:.1e} (<= 1e-6: {agreement <= 1e-6}); "
        f"iterations {ours.n_iter_} vs {int(peer.n_iter_[0])}; the Hessian "
        f"({n_params} x {n_params} float64) takes {8 * n_params**2 / 2**20:.1f} MiB",
        passed_check=agreement <= 1e-6,
    )


# ------------------------------------------------------------------ PyTorch
def _torch():
    """PyTorch if installed (the ``bench`` extra), else None: its cases are skipped."""
    try:
        import torch
    except ImportError:
        return None
    return torch


class TorchObjective:
    """Our objective in PyTorch: the same network, loss, penalty and parameters.

    ``sum_i s_i CE(t_i, softmax(z_i)) / S + alpha / (2 S) ||W||^2`` with soft targets
    (``torch.nn.functional.cross_entropy`` takes probabilities), relu hidden layers.
    """

    def __init__(self, torch, X, targets, alpha, coefs, intercepts):
        self.torch = torch
        self.X = torch.from_numpy(X)
        self.targets = torch.from_numpy(targets.astype(X.dtype))
        self.scale = alpha / (2 * X.shape[0])
        self.coefs = [torch.tensor(c, requires_grad=True) for c in coefs]
        self.intercepts = [torch.tensor(b, requires_grad=True) for b in intercepts]
        self.params = [*self.coefs, *self.intercepts]

    def loss(self):
        functional = self.torch.nn.functional
        h = self.X
        last = len(self.coefs) - 1
        for layer, (W, b) in enumerate(zip(self.coefs, self.intercepts, strict=True)):
            h = self.torch.addmm(b, h, W)
            if layer < last:
                h = functional.relu(h)
        penalty = sum((W * W).sum() for W in self.coefs)
        return functional.cross_entropy(h, self.targets) + self.scale * penalty

    def evaluate(self):
        """One loss and gradient, as an optimizer's closure computes them."""
        for p in self.params:
            p.grad = None
        value = self.loss()
        value.backward()
        return value

    def fit_lbfgs(self, max_iter, tol):
        optimizer = self.torch.optim.LBFGS(
            self.params,
            lr=1,
            max_iter=max_iter,
            tolerance_grad=tol,
            tolerance_change=64 * np.finfo(float).eps,
            history_size=10,
            line_search_fn="strong_wolfe",
        )
        optimizer.step(self.evaluate)
        return optimizer.state[optimizer._params[0]]["n_iter"]

    def theta(self):
        """The parameters in our flat layout (all coefficients, then intercepts)."""
        return np.concatenate([p.detach().numpy().ravel() for p in self.params])


def _torch_setup(torch, n, hidden, dtype, alpha):
    X, y, _ = teacher_data(n, dtype=dtype)
    objective, theta = _objective_for(X, y, hidden, alpha)
    theta = theta.astype(dtype)
    coefs, intercepts = objective.network.unpack(theta)
    peer = TorchObjective(torch, X, np.eye(N_CLASSES)[y], alpha, coefs, intercepts)
    return X, y, objective, theta, peer


def case_torch_evaluation(torch, n, hidden, dtype, repeats):
    _, _, objective, theta, peer = _torch_setup(torch, n, hidden, dtype, 1e-4)
    ours_value = objective(theta.astype(np.float64))[0]
    peer_value = float(peer.evaluate())
    jitter = np.random.default_rng(0)
    # Ours as inside a fit: the objective's blocks in threads, BLAS single-threaded.
    with lend_blas_threads(objective):
        times = alternate(
            {
                # A new theta each call, so the objective's cache is never hit.
                "ours": lambda: objective(theta + 1e-9 * jitter.random()),
                "peer": peer.evaluate,
            },
            repeats,
            warm_up=True,
        )
    sizes = [N_FEATURES, *hidden, N_CLASSES]
    floor = gemm_floor(n, sizes, dtype, repeats=5)
    ours = float(np.median(times["ours"]))
    label = f"MLP {hidden}" if hidden else "linear"
    name = np.dtype(dtype).name
    return dict(
        case="10. PyTorch, time per evaluation",
        setting=f"{label}, n={n:,}, {name}, loss and gradient",
        peer=f"PyTorch {torch.__version__} CPU ({torch.get_num_threads()} threads)",
        times=times,
        target=1.0 if dtype == np.float32 else None,
        check=f"values {ours_value:.6f} vs {peer_value:.6f}; our evaluation = "
        f"{ours / floor:.2f} x our bare matrix products ({1e3 * floor:.1f} ms; "
        "target <= 1.15)",
        passed_check=abs(ours_value - peer_value) <= 1e-5 * abs(peer_value),
        floor_s=floor,
        floor_ratio_ours=ours / floor,
    )


def case_torch_fit(torch, n, hidden, repeats, tol, max_iter):
    alpha = 1.0 if not hidden else 1e-4
    X, y, objective, theta, _ = _torch_setup(torch, n, hidden, np.float64, alpha)
    params = dict(hidden_layer_sizes=hidden, alpha=alpha, random_state=0)
    ours = SoftLabelClassifier(tol=tol, max_iter=max_iter, **params)
    results = {}

    def run_peer():
        coefs, intercepts = objective.network.unpack(theta)
        peer = TorchObjective(torch, X, np.eye(N_CLASSES)[y], alpha, coefs, intercepts)
        results["iterations"] = peer.fit_lbfgs(max_iter, tol)
        results["theta"] = peer.theta()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # the MLP's fixed budget
        times = alternate({"ours": lambda: ours.fit(X, y), "peer": run_peer}, repeats)
    ours_theta = np.concatenate(
        [c.ravel() for c in ours.coefs_] + [b.ravel() for b in ours.intercepts_]
    )
    values = {
        "ours": objective(ours_theta)[0],
        "peer": objective(results["theta"])[0],
    }
    label = f"MLP {hidden}, max_iter={max_iter}" if hidden else "linear"
    return dict(
        case="11. PyTorch, whole L-BFGS fit",
        setting=f"{label}, n={n:,}, float64, tol={tol:g}",
        peer=f"torch.optim.LBFGS(line_search_fn='strong_wolfe'), "
        f"{torch.get_num_threads()} threads",
        times=times,
        target=None,
        check=f"final objective {values['ours']:.7f} vs {values['peer']:.7f}; "
        f"iterations {ours.n_iter_} vs {results['iterations']}",
        passed_check=values["ours"] <= values["peer"] * (1 + 1e-6) + 1e-9,
    )


# ------------------------------------------------------------------ report
def summarise(row):
    times = row["times"]
    ours = float(np.median(times["ours"])) if times.get("ours") else None
    peer = float(np.median(times["peer"])) if times.get("peer") else None
    ratio = ours / peer if ours is not None and peer is not None else None
    met = None
    if ratio is not None and row.get("target") is not None:
        met = ratio <= row["target"]
    return dict(
        row, ours_median_s=ours, peer_median_s=peer, ratio=ratio, target_met=met
    )


def machine():
    try:
        from threadpoolctl import threadpool_info

        blas = ", ".join(
            f"{i.get('internal_api')} {i.get('version')} ({i.get('num_threads')} threads)"
            for i in threadpool_info()
            if i.get("user_api") == "blas"
        )
    except ImportError:  # pragma: no cover
        blas = "unknown"
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return dict(
        cpu=cpu,
        cores=os.cpu_count(),
        python=platform.python_version(),
        numpy=np.__version__,
        scipy=scipy.__version__,
        sklearn=sklearn.__version__,
        sksoftce=sksoftce.__version__,
        blas=blas,
    )


COLUMNS = [
    "case",
    "setting",
    "ours (ms)",
    "peer (ms)",
    "ratio",
    "target",
    "met",
    "check",
]


def machine_line(info, quick):
    """One sentence naming the machine and the versions a table was measured with."""
    return (
        f"Measured on {info['cpu']}, {info['cores']} cores, {info['blas']}; Python "
        f"{info['python']}, NumPy {info['numpy']}, SciPy {info['scipy']}, scikit-learn "
        f"{info['sklearn']}, sksoftce {info['sksoftce']}"
        + (" (quick mode)" if quick else "")
        + ". Medians of alternating repeats in one run; ratio = ours / peer."
    )


def table_cells(rows, emphasis="**"):
    """The table's rows as lists of strings, one per column of ``COLUMNS``."""

    def ms(value):
        return "" if value is None else f"{1e3 * value:,.1f}"

    cells = []
    for row in rows:
        met = {None: "", True: "yes", False: f"{emphasis}no{emphasis}"}[
            row["target_met"]
        ]
        failed = f" {emphasis}(check failed){emphasis}"
        cells.append(
            [
                row["case"],
                row["setting"],
                ms(row["ours_median_s"]),
                ms(row["peer_median_s"]),
                "" if row["ratio"] is None else f"{row['ratio']:.3f}",
                "" if row.get("target") is None else f"<= {row['target']}",
                met,
                row["check"] + ("" if row["passed_check"] else failed),
            ]
        )
    return cells


def to_markdown(rows, info, quick):
    lines = [
        machine_line(info, quick),
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|---|---|---:|---:|---:|---:|---|---|",
    ]
    lines += ["| " + " | ".join(cells) + " |" for cells in table_cells(rows)]
    return "\n".join(lines) + "\n"


GROUPS = ["linear", "mlp", "sparse", "scaling", "adam", "newton", "torch"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, few repeats")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--only",
        default=",".join(GROUPS),
        help=f"comma-separated groups of cases to run, among {', '.join(GROUPS)}; "
        "a partial run is written as partial.md/json",
    )
    args = parser.parse_args(argv)
    quick = args.quick
    groups = args.only.split(",")
    if unknown := set(groups) - set(GROUPS):
        parser.error(f"unknown groups {sorted(unknown)}; choose among {GROUPS}")

    repeats = 3 if quick else 5
    rows = []

    def record(new_rows):
        rows.extend(new_rows)
        print(new_rows[0]["case"], new_rows[0]["setting"], flush=True)

    if "linear" in groups:
        for n in [20_000] if quick else [20_000, 200_000]:
            record([case_linear_hard(n, repeats)])
        record([case_linear_soft(20_000 if quick else 50_000, repeats)])
    if "mlp" in groups:
        mlp_sizes = [20_000] if quick else [20_000, 100_000]
        for hidden in [(100,), (256, 128)]:
            for n in mlp_sizes:
                for dtype in (np.float64, np.float32):
                    case_rows, _ = case_mlp(
                        n, hidden, dtype, 2 if quick else 3, 5 if quick else 10
                    )
                    record(case_rows)
    if "sparse" in groups:
        record([case_sparse(10_000 if quick else 50_000, repeats)])
    if "scaling" in groups:
        sizes = [10_000, 30_000, 100_000] if quick else [10_000, 100_000, 1_000_000]
        record(case_scaling(sizes, repeats))
        record([case_efficiency(30_000 if quick else 100_000, repeats)])
        record([case_mlp_memory(20_000 if quick else 100_000, (256, 128))])
    if "adam" in groups:
        for dtype in (np.float64, np.float32):
            record([case_adam_epoch(20_000, dtype, 11 if quick else 21)])
        record([case_minibatch_memory([20_000, 200_000])])
    n_linear = 20_000 if quick else 200_000
    if "newton" in groups:
        record([case_newton(n_linear, min(repeats, 3))])
    torch = _torch() if "torch" in groups else None
    if "torch" in groups and torch is None:
        print("PyTorch is not installed: its cases are skipped (the bench extra).")
    if torch is not None:
        evaluation_repeats = 7 if quick else 21
        record(
            [case_torch_evaluation(torch, n_linear, (), np.float64, evaluation_repeats)]
        )
        for hidden, n in [((100,), 20_000), ((256, 128), 20_000 if quick else 100_000)]:
            for dtype in (np.float64, np.float32):
                record(
                    [case_torch_evaluation(torch, n, hidden, dtype, evaluation_repeats)]
                )
        record([case_torch_fit(torch, n_linear, (), repeats, 1e-6, 1000)])
        record([case_torch_fit(torch, 20_000, (100,), repeats, 0.0, 10)])

    summary = [summarise(row) for row in rows]
    info = machine()
    args.out.mkdir(parents=True, exist_ok=True)
    stem = "quick" if quick else "latest"
    if set(groups) != set(GROUPS):
        stem = "partial"
    markdown = to_markdown(summary, info, quick)
    (args.out / f"{stem}.md").write_text(markdown)
    (args.out / f"{stem}.json").write_text(
        json.dumps(
            {"machine": info, "quick": quick, "rows": summary}, indent=2, default=float
        )
    )
    print()
    print(markdown)


if __name__ == "__main__":
    main()
