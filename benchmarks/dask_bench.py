"""The objective on Dask input: NumPy against a LocalCluster of 2 worker processes.

For a linear model and an MLP, times one evaluation of the objective (value and
gradient over all rows) in memory and on the cluster, and the distributed path's
fixed cost per evaluation (the same evaluation on a handful of rows: broadcast of
the parameters, scheduling, reduction, return). Writes ``benchmarks/results/
dask.md``.

    python benchmarks/dask_bench.py --rows 2000000 --features 100

The default size is that of the issue; on a small shared machine pass fewer rows.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings
from pathlib import Path

import numpy as np


def _time(objective, theta, repeat):
    """Median wall time of an evaluation over ``repeat`` calls, after one warm-up.

    Every call gets new parameters: the in-memory objective returns its last
    result again for the same parameters.
    """
    objective(theta)
    times = []
    for k in range(repeat):
        shifted = theta + 1e-9 * (k + 1)
        start = time.perf_counter()
        objective(shifted)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def _case(name, hidden, X, targets, weights, chunk_rows, repeat):
    import dask.array as da

    from sksoftce._dask import DaskObjective
    from sksoftce._losses import LOSSES
    from sksoftce._networks import Network
    from sksoftce._objective import Objective

    network = Network([X.shape[1], *hidden, targets.shape[1]], "relu")
    loss = LOSSES["cce"]
    theta = network.initial_parameters(0) if hidden else np.full(network.n_params, 0.01)
    local = Objective(network, loss, X, targets, weights, 1.0)
    t_numpy = _time(local, theta, repeat)

    def dask_objective(rows):
        parts = [
            da.from_array(a[:rows], chunks=chunk_rows) for a in (X, targets, weights)
        ]
        parts = [p.persist() for p in parts]
        return DaskObjective(network, loss, *parts, 1.0)

    distributed = dask_objective(X.shape[0])
    t_dask = _time(distributed, theta, repeat)
    value, gradient = local(theta)
    other_value, other_gradient = distributed(theta)
    agreement = max(
        abs(other_value - value) / abs(value),
        float(np.linalg.norm(other_gradient - gradient) / np.linalg.norm(gradient)),
    )
    tiny = dask_objective(2 * 1024)  # as many chunks' worth of tasks, few rows
    n_chunks = -(-X.shape[0] // chunk_rows)
    tiny_chunked = dask_objective(min(X.shape[0], n_chunks * 16))
    t_overhead = _time(tiny, theta, repeat)
    t_overhead_chunks = _time(tiny_chunked, theta, repeat)
    return dict(
        name=name,
        n_params=network.n_params,
        numpy=t_numpy,
        dask=t_dask,
        overhead=t_overhead,
        overhead_chunks=t_overhead_chunks,
        n_chunks=n_chunks,
        agreement=agreement,
        per_row=t_numpy / X.shape[0],
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--features", type=int, default=100)
    parser.add_argument("--classes", type=int, default=5)
    parser.add_argument("--chunk-rows", type=int, default=125_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).parent / "results" / "dask.md",
    )
    args = parser.parse_args(argv)

    import distributed

    # The arrays reach the workers once, through the graph of their persist.
    warnings.filterwarnings("ignore", message="Large object", category=UserWarning)
    rng = np.random.RandomState(0)
    X = rng.standard_normal((args.rows, args.features))
    logits = X @ rng.standard_normal((args.features, args.classes)) * 0.3
    targets = np.exp(logits - logits.max(axis=1, keepdims=True))
    targets /= targets.sum(axis=1, keepdims=True)
    weights = rng.uniform(0.5, 2.0, args.rows)

    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster),
    ):
        cases = [
            _case("linear", (), X, targets, weights, args.chunk_rows, args.repeat),
            _case(
                "MLP (100,)", (100,), X, targets, weights, args.chunk_rows, args.repeat
            ),
        ]
    lines = [
        "# Objective evaluation: NumPy vs Dask LocalCluster (2 workers x 1 thread)",
        "",
        f"{args.rows:,} rows x {args.features} features (float64), {args.classes} "
        f"classes, CCE, chunks of {args.chunk_rows:,} rows; median of "
        f"{args.repeat} evaluations (value and gradient). Machine: "
        f"{platform.machine()}, {os.cpu_count()} cores (shared), "
        f"Python {platform.python_version()}.",
        "",
        "| model | params | NumPy (s) | Dask (s) | Dask / NumPy | fixed cost, 1 chunk "
        "(ms) | fixed cost, same chunks (ms) | rel. difference |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for c in cases:
        lines.append(
            f"| {c['name']} | {c['n_params']:,} | {c['numpy']:.3f} | {c['dask']:.3f} "
            f"| {c['dask'] / c['numpy']:.2f} | {1e3 * c['overhead']:.1f} | "
            f"{1e3 * c['overhead_chunks']:.1f} | {c['agreement']:.1e} |"
        )
    lines += [
        "",
        "Fixed cost: the same evaluation on 2,048 rows in one chunk, and on "
        f"{cases[0]['n_chunks']} chunks of 16 rows (the task count of the full "
        "data): the scatter of the parameters, the scheduling of the chunk tasks and "
        "of the reduction tree, and the return of one gradient.",
        "",
        "Break-even: distribution pays off once the in-memory evaluation takes longer "
        "than the fixed cost plus its share on the workers. With the NumPy time per "
        "row below, the rows at which one evaluation in memory costs as much as the "
        "fixed cost:",
        "",
    ]
    for c in cases:
        rows = c["overhead_chunks"] / c["per_row"]
        lines.append(
            f"- {c['name']}: {1e9 * c['per_row']:.0f} ns per row in NumPy; the fixed "
            f"cost equals {rows:,.0f} rows of NumPy work."
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
