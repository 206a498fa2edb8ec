"""
Linear and MLP models trained with BCE or CCE on the digits data
=================================================================

Fits :class:`sksoftce.SoftLabelClassifier` with a linear model and a one-hidden-layer
MLP, each with categorical cross-entropy (softmax outputs) and binary cross-entropy
(one sigmoid per class), on scikit-learn's digits data, first on the hard labels and
then on soft labels (a blend of the one-hot label and a uniform distribution). Prints
held-out accuracy and log loss for every combination.

Run with ``python examples/compare_losses.py``.
"""

import time
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sksoftce import SoftLabelClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
# Soft targets: 80% on the true digit, 20% spread evenly over all ten.
Y_soft = 0.8 * np.eye(10)[y_train] + 0.2 / 10

rows = []
for model, hidden in [("linear", ()), ("MLP (64,)", (64,))]:
    for loss in ["cce", "bce"]:
        for targets, y_fit in [("hard", y_train), ("soft", Y_soft)]:
            clf = make_pipeline(
                StandardScaler(),
                SoftLabelClassifier(
                    loss=loss,
                    hidden_layer_sizes=hidden,
                    alpha=1.0,
                    max_iter=500,
                    random_state=0,
                ),
            )
            start = time.perf_counter()
            with warnings.catch_warnings():
                # Reported in the table instead: "500*" means max_iter was reached.
                warnings.simplefilter("ignore", ConvergenceWarning)
                clf.fit(X_train, y_fit)
            seconds = time.perf_counter() - start
            converged = clf[-1].optimize_result_.success
            proba = clf.predict_proba(X_test)
            rows.append(
                (
                    model,
                    loss.upper(),
                    targets,
                    accuracy_score(y_test, clf.predict(X_test)),
                    log_loss(y_test, proba, labels=np.arange(10)),
                    f"{clf[-1].n_iter_}{'' if converged else '*'}",
                    seconds,
                )
            )

header = ("model", "loss", "targets", "accuracy", "log loss", "iterations", "fit (s)")
print(f"digits: {len(X_train)} training and {len(X_test)} test samples, 10 classes\n")
print("| " + " | ".join(header) + " |")
print("|" + "|".join("---" for _ in header) + "|")
for model, loss, targets, accuracy, logloss, n_iter, seconds in rows:
    print(
        f"| {model} | {loss} | {targets} | {accuracy:.4f} | {logloss:.4f} | "
        f"{n_iter} | {seconds:.2f} |"
    )
print("\n* stopped at max_iter before reaching tol")
