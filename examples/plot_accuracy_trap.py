"""
The accuracy trap: element-wise binary accuracy on a multiclass problem
=======================================================================

Keras reports ``binary_crossentropy`` models on multiclass data with
``binary_accuracy``: the share of the ``n x K`` entries of the one-hot target
matrix that the thresholded sigmoids get right. With ``K = 10`` classes, 90% of
the entries are zeros, so a model that predicts "no class" everywhere already
scores 0.9 and the number says little about whether the predicted class is the
right one. ``sksoftce.metrics.soft_accuracy_score`` compares the most probable
class with the target's, so it means the same whatever loss trained the model.

The same goes for a mean squared error averaged over the ``n x K`` entries (Keras'
``mse`` on one-hot targets): the constant model that predicts 0.1 for every class
has an MSE of only 0.09 and the accuracy of a guess.

This script trains models with BCE and CCE on scikit-learn's digits data and
prints both accuracies, and the element-wise MSE, on held-out data, beside
constant models.

Run with ``python examples/plot_accuracy_trap.py``.
"""

import sys

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sksoftce import SoftLabelClassifier
from sksoftce.metrics import soft_accuracy_score


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


def elementwise_binary_accuracy(Y, marginals):
    """Keras-style binary_accuracy: mean over all n x K entries of round(p) == y."""
    return float(np.mean((marginals > 0.5) == (Y > 0.5)))


def elementwise_mse(Y, proba):
    """Keras-style mse on one-hot targets: mean over all n x K entries."""
    return float(np.mean((proba - Y) ** 2))


X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
Y_test = np.eye(10)[y_test]

rows = []
# A strong model, and weak ones: linear models that see only 2 of the 64 pixels.
for name, clf, columns in [
    ("BCE, linear, all 64 pixels", SoftLabelClassifier(loss="bce"), slice(None)),
    ("BCE, linear, 2 pixels", SoftLabelClassifier(loss="bce"), [20, 43]),
    ("CCE, linear, 2 pixels", SoftLabelClassifier(loss="cce"), [20, 43]),
]:
    clf.fit(X_train[:, columns], y_train)
    proba = clf.predict_proba(X_test[:, columns])
    # What binary_accuracy thresholds: the independent sigmoids of a BCE model (its
    # predict_proba normalises them), the softmax of a CCE model.
    logits = clf.decision_function(X_test[:, columns])
    marginals = 1 / (1 + np.exp(-logits)) if clf.loss == "bce" else proba
    rows.append(
        (
            name,
            elementwise_binary_accuracy(Y_test, marginals),
            soft_accuracy_score(y_test, proba),
            elementwise_mse(Y_test, proba),
        )
    )

zeros = np.zeros_like(Y_test)
uniform = np.full_like(Y_test, 0.1)
rows.append(
    (
        "constant: all sigmoids 0",
        elementwise_binary_accuracy(Y_test, zeros),
        soft_accuracy_score(y_test, uniform),
        elementwise_mse(Y_test, uniform),
    )
)

print(f"digits test set: {len(y_test)} samples, 10 classes\n")
print(
    "\nThe constant model's element-wise binary accuracy is "
    f"{rows[-1][1]:.4f}: the share of zeros in a 10-class one-hot matrix. Its argmax "
    f"accuracy is {rows[-1][2]:.4f} (uniform probabilities predict the first class), "
    f"with an element-wise MSE of {rows[-1][3]:.4f} for 0.1 everywhere."
)
gap = rows[1][1] - rows[1][2]
print(
    f"For the 2-pixel BCE model the two numbers differ by {gap:.4f}: "
    f"{rows[1][1]:.4f} element-wise vs {rows[1][2]:.4f} argmax."
)
show(
    Table(
        [
            "model",
            "element-wise binary accuracy",
            "soft_accuracy (argmax)",
            "element-wise MSE",
        ],
        [
            [name, f"{binary:.4f}", f"{argmax:.4f}", f"{mse:.4f}"]
            for name, binary, argmax, mse in rows
        ],
    )
)

# %%
# The two accuracies side by side: the element-wise one hardly moves between a
# useful model and a constant one; the argmax accuracy does.
fig, ax = plt.subplots(figsize=(8, 4))
positions = np.arange(len(rows))
ax.barh(
    positions + 0.2,
    [r[1] for r in rows],
    height=0.4,
    label="element-wise binary accuracy",
)
ax.barh(
    positions - 0.2, [r[2] for r in rows], height=0.4, label="soft_accuracy (argmax)"
)
ax.set_yticks(positions, [r[0] for r in rows])
ax.set(xlabel="accuracy on the digits test set", xlim=(0, 1))
ax.legend(loc="lower right")
fig.tight_layout()
plt.show()
