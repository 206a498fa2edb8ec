"""
Reliability diagrams: CCE, BCE, label smoothing and mixup on digits
===================================================================

A reliability diagram bins the test predictions by their confidence (the top
predicted probability) and plots, per bin, the share that were right against the
mean confidence: a calibrated model lies on the diagonal. The expected
calibration error (ECE) is the bin-weighted mean distance to it, as computed by
:func:`sksoftce.metrics.expected_calibration_error`.

Four MLPs with the same architecture and penalty are trained on the digits data:
CCE, BCE (one sigmoid per class, probabilities normalised over the classes),
CCE with ``label_smoothing=0.1`` and CCE with mixup. The table gives the
test log loss, ECE and accuracy of each; the plot shows where the differences are.
The mixup model redraws its mixtures every 5 iterations of L-BFGS-B and stops
when the loss of the unmixed rows no longer improves.
"""

import sys
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sksoftce import MixupTransformer, SoftLabelClassifier
from sksoftce.metrics import (
    expected_calibration_error,
    soft_accuracy_score,
    soft_log_loss,
)


class Table:
    """Rows shown as an HTML table in the documentation and as Markdown in a terminal."""

    def __init__(self, header, rows):
        self.header, self.rows = header, rows

    def __repr__(self):
        lines = [self.header, ["---"] * len(self.header), *self.rows]
        return "\n".join("| " + " | ".join(map(str, r)) + " |" for r in lines)

    def _repr_html_(self):
        head = "".join(f"<th>{h}</th>" for h in self.header)
        body = "".join(
            "<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>"
            for row in self.rows
        )
        return f'<table class="table"><tr>{head}</tr>{body}</table>'


def show(table):
    """Print the table; when sphinx-gallery builds the documentation, return it.

    sphinx-gallery renders the value of a code block's last expression through its
    ``_repr_html_``; printed text would appear as raw Markdown.
    """
    if "sphinx_gallery" in sys.modules:
        return table
    print(table)


X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.4, stratify=y, random_state=0
)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

common = dict(hidden_layer_sizes=(64,), alpha=1e-2, max_iter=2000, random_state=0)
models = {
    "CCE": SoftLabelClassifier(loss="cce", **common),
    "BCE": SoftLabelClassifier(loss="bce", **common),
    "CCE, label smoothing 0.1": SoftLabelClassifier(
        loss="cce", label_smoothing=0.1, **common
    ),
    "CCE, mixup alpha=0.4": SoftLabelClassifier(
        loss="cce",
        mixup=MixupTransformer(alpha=0.4, n_samples=2.0, random_state=0),
        **common,
    ),
}

n_bins = 10
edges = np.linspace(0, 1, n_bins + 1)
fig, ax = plt.subplots(figsize=(6, 6))
ax.plot([0, 1], [0, 1], color="grey", lw=0.8, label="calibrated")
rows = []
for name, clf in models.items():
    with warnings.catch_warnings(record=True) as caught:
        # Recorded and reported in the table's last column, not silenced.
        warnings.simplefilter("always", ConvergenceWarning)
        clf.fit(X_train, y_train)
    stopped = any(issubclass(w.category, ConvergenceWarning) for w in caught)
    proba = clf.predict_proba(X_test)
    ece = expected_calibration_error(y_test, proba, n_bins=n_bins)
    rows.append(
        [
            name,
            f"{soft_log_loss(y_test, proba):.4f}",
            f"{ece:.4f}",
            f"{soft_accuracy_score(y_test, proba):.4f}",
            f"max_iter={clf.max_iter} reached (ConvergenceWarning)"
            if stopped
            else f"converged in {clf.n_iter_} iterations",
        ]
    )
    confidence = proba.max(axis=1)
    correct = clf.classes_[proba.argmax(axis=1)] == y_test
    bins = np.clip(np.digitize(confidence, edges[1:-1]), 0, n_bins - 1)
    filled = np.bincount(bins, minlength=n_bins) > 0
    mean_confidence = (
        np.bincount(bins, confidence, n_bins)[filled] / np.bincount(bins)[filled]
    )
    accuracy = np.bincount(bins, correct, n_bins)[filled] / np.bincount(bins)[filled]
    ax.plot(mean_confidence, accuracy, "o-", label=f"{name} (ECE {ece:.3f})")
ax.set(
    xlabel="mean confidence in bin",
    ylabel="share correct in bin",
    title="Reliability on digits (test)",
)
ax.legend(loc="upper left", fontsize="small")
plt.show()

# %%
# Test scores of the four models. Every fit runs until its own stopping rule
# (``max_iter=2000`` is a safeguard); a fit that reached it would say so in the last
# column.
show(
    Table(
        ["model", "test log loss", "test ECE (10 bins)", "test accuracy", "fit"],
        rows,
    )
)
