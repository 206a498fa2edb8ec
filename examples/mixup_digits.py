"""
What mixup does to test log loss and calibration on the digits data
===================================================================

Trains a linear model and a one-hidden-layer MLP on scikit-learn's digits data,
without mixup and with ``MixupTransformer(alpha)`` for two values of ``alpha``,
over repeated stratified train/test splits. Mixup is applied inside ``fit`` only
(``SoftLabelClassifier(mixup=...)``); every score is computed on the untouched test
rows. Prints the mean and standard deviation over splits of the test log loss,
the expected calibration error (top-label, 15 uniform bins) and the accuracy, and
then the change that mixup made to each, with the number of splits on which it
went each way. The sentences at the end are written from the numbers.

Run with ``python examples/mixup_digits.py``.
"""

import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedShuffleSplit
from sklearn.preprocessing import StandardScaler

from sksoftce import MixupTransformer, SoftLabelClassifier
from sksoftce.metrics import (
    expected_calibration_error,
    soft_accuracy_score,
    soft_log_loss,
)

X, y = load_digits(return_X_y=True)
splits = list(
    StratifiedShuffleSplit(n_splits=5, test_size=0.3, random_state=0).split(X, y)
)
models = {
    "linear": dict(hidden_layer_sizes=(), alpha=1.0),
    "MLP (32,)": dict(hidden_layer_sizes=(32,), alpha=1.0, max_iter=300),
}
settings = {"no mixup": None, "mixup alpha=0.2": 0.2, "mixup alpha=1.0": 1.0}

results = {}  # (model, setting) -> array of shape (n_splits, 3)
for model, params in models.items():
    for setting, mix_alpha in settings.items():
        scores = []
        for seed, (train, test) in enumerate(splits):
            scaler = StandardScaler().fit(X[train])
            mixup = None
            if mix_alpha is not None:
                mixup = MixupTransformer(
                    alpha=mix_alpha, n_samples=2.0, random_state=seed
                )
            clf = SoftLabelClassifier(mixup=mixup, random_state=seed, **params)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                clf.fit(scaler.transform(X[train]), y[train])
            proba = clf.predict_proba(scaler.transform(X[test]))
            scores.append(
                (
                    soft_log_loss(y[test], proba),
                    expected_calibration_error(y[test], proba, n_bins=15),
                    soft_accuracy_score(y[test], proba),
                )
            )
        results[model, setting] = np.array(scores)

names = ("test log loss", "ECE", "accuracy")
print(f"digits, {len(splits)} stratified 70/30 splits; mean (std) over splits\n")
print("| model | training | " + " | ".join(names) + " |")
print("|---|---|" + "---|" * len(names))
for (model, setting), scores in results.items():
    cells = " | ".join(
        f"{m:.4f} ({s:.4f})"
        for m, s in zip(scores.mean(axis=0), scores.std(axis=0), strict=True)
    )
    print(f"| {model} | {setting} | {cells} |")

print("\nChange with mixup (mixup minus no mixup), mean over splits, and on how many")
print("splits the value went down:\n")
for model in models:
    base = results[model, "no mixup"]
    for setting in list(settings)[1:]:
        diff = results[model, setting] - base
        parts = [
            f"{name} {d:+.4f} (down on {int((col < 0).sum())}/{len(col)})"
            for name, d, col in zip(names, diff.mean(axis=0), diff.T, strict=True)
        ]
        print(f"- {model}, {setting}: " + "; ".join(parts))

print()
for model in models:
    base = results[model, "no mixup"].mean(axis=0)
    best = min(list(settings)[1:], key=lambda s: results[model, s].mean(axis=0)[0])
    mixed = results[model, best].mean(axis=0)
    verb = "lowered" if mixed[0] < base[0] else "did not lower"
    print(
        f"For the {model} model, the better mixup setting ({best}) {verb} the mean "
        f"test log loss ({base[0]:.4f} -> {mixed[0]:.4f}); the ECE went from "
        f"{base[1]:.4f} to {mixed[1]:.4f} and the accuracy from {base[2]:.4f} to "
        f"{mixed[2]:.4f}."
    )
