"""Mixup with fresh mixtures, on digits: adam and L-BFGS-B, BCE and CCE.

Ten stratified 70/30 splits of scikit-learn's digits, StandardScaler fitted on the
training rows, an MLP with one hidden layer of 64 units and ``alpha=1e-4``. Each
configuration is fitted on the same splits (paired), and the table reports the mean
test accuracy and log loss, the mean paired difference from the same solver without
mixup, and how many fits stopped by their own rule (the others reached ``max_iter``
and raised a ``ConvergenceWarning``, counted here rather than silenced).

- ``solver="adam"`` mixes the rows of every mini-batch anew (``max_iter=200``
  epochs).
- ``solver="L-BFGS-B"`` redraws the mixtures of all rows every 5 iterations and
  restarts from where it was; ``max_iter`` is 300 or 1500 iterations.

Run with ``python examples/mixup_solvers_digits.py`` (about a minute on 2 cores).
"""

import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss
from sklearn.model_selection import StratifiedShuffleSplit
from sklearn.preprocessing import StandardScaler

from sksoftce import MixupTransformer, SoftLabelClassifier

N_SPLITS = 10
CONFIGS = [
    # (solver, max_iter, mixup alpha or None)
    ("adam", 200, None),
    ("adam", 200, 0.2),
    ("L-BFGS-B", 300, None),
    ("L-BFGS-B", 300, 0.2),
    ("L-BFGS-B", 1500, None),
    ("L-BFGS-B", 1500, 0.2),
]


def run(loss, n_splits=N_SPLITS):
    """Test accuracy, log loss and convergence of every configuration and split."""
    X, y = load_digits(return_X_y=True)
    splits = StratifiedShuffleSplit(n_splits=n_splits, test_size=0.3, random_state=0)
    results = {config: [] for config in CONFIGS}
    for seed, (train, test) in enumerate(splits.split(X, y)):
        scaler = StandardScaler().fit(X[train])
        X_train, X_test = scaler.transform(X[train]), scaler.transform(X[test])
        for solver, max_iter, mixup_alpha in CONFIGS:
            clf = SoftLabelClassifier(
                loss,
                hidden_layer_sizes=(64,),
                alpha=1e-4,
                solver=solver,
                max_iter=max_iter,
                mixup=None if mixup_alpha is None else MixupTransformer(mixup_alpha),
                random_state=seed,
            )
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", ConvergenceWarning)
                clf.fit(X_train, y[train])
            converged = not any(
                issubclass(w.category, ConvergenceWarning) for w in caught
            )
            results[(solver, max_iter, mixup_alpha)].append(
                (
                    clf.score(X_test, y[test]),
                    log_loss(y[test], clf.predict_proba(X_test)),
                    converged,
                )
            )
    return {config: np.array(rows, dtype=float) for config, rows in results.items()}


def main():
    print(
        "| loss | solver | max_iter | mixup | accuracy | vs no mixup | wins | "
        "log loss | stopped by rule |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for loss in ("cce", "bce"):
        results = run(loss)
        for solver, max_iter, mixup_alpha in CONFIGS:
            rows = results[(solver, max_iter, mixup_alpha)]
            plain = results[(solver, max_iter, None)]
            difference = rows[:, 0] - plain[:, 0]
            mixup = "none" if mixup_alpha is None else f"alpha={mixup_alpha}"
            paired = (
                "" if mixup_alpha is None else f"{100 * difference.mean():+.2f} pts"
            )
            wins = (
                ""
                if mixup_alpha is None
                else f"{int((difference > 0).sum())}/{int((difference < 0).sum())}"
            )
            print(
                f"| {loss} | {solver} | {max_iter} | {mixup} | "
                f"{rows[:, 0].mean():.4f} ± {rows[:, 0].std():.4f} | {paired} | "
                f"{wins} | {rows[:, 1].mean():.3f} | "
                f"{int(rows[:, 2].sum())}/{len(rows)} |"
            )


if __name__ == "__main__":
    main()
