"""
Distilling an MLP into a linear model
=====================================

Knowledge distillation trains a student on the probabilities a teacher predicts
instead of on the hard labels. :class:`~sksoftce.DistillationClassifier` does it in
one ``fit``: it labels every training row with the probabilities of a teacher that
did not see the row (cross-fitting with
:func:`~sklearn.model_selection.cross_val_predict`), softens them with a
temperature ``T`` (``p_k`` proportional to ``p_k ** (1 / T)``), and fits the
student, by default a :class:`~sksoftce.SoftLabelClassifier`, on these rows.

Here the teacher is an MLP (:class:`~sklearn.neural_network.MLPClassifier`, 64
units) and the student a linear ``SoftLabelClassifier`` with a weak
(``alpha=1e-4``) or a strong (``alpha=1``) penalty, on the breast cancer data
(3 stratified 50/50 splits, features standardised in a pipeline). The table and
the plot give the test log loss and accuracy, means over the splits, of the
students trained on the hard labels and of the distilled students at four
temperatures, and of the teacher refitted on all training rows (``teacher_``).

The weakly penalised student trained on the hard labels separates the training
rows and is confidently wrong on some test rows: its test log loss is near 1.
Distilled at ``T = 1`` or ``2`` it is about ten times lower, close to the
teacher's. The well-penalised student has little to gain: its hard-label fit is
already about as good as the teacher. Temperatures above 1 flatten the targets,
and the student learns the flattened probabilities as they are (it predicts
with them, there is no second temperature at prediction time): at ``T = 4``
both students are under-confident and their log loss rises, while their
accuracy does not suffer. ``examples/distillation_study.py`` measures when
distillation helps on more data sets, teachers and students.
"""

import sys

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import NullLocator
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import StratifiedShuffleSplit
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sksoftce import DistillationClassifier, SoftLabelClassifier
from sksoftce.metrics import soft_accuracy_score, soft_log_loss


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


X, y = load_breast_cancer(return_X_y=True)
splits = StratifiedShuffleSplit(n_splits=3, test_size=0.5, random_state=0)
alphas = [1e-4, 1.0]
temperatures = [0.5, 1.0, 2.0, 4.0]


def scores(model, X_test, y_test):
    proba = model.predict_proba(X_test)
    return soft_log_loss(y_test, proba), soft_accuracy_score(y_test, proba)


results = {}  # (model, alpha, temperature) -> list of (log loss, accuracy)
for seed, (train, test) in enumerate(splits.split(X, y)):
    X_train, X_test, y_train, y_test = X[train], X[test], y[train], y[test]
    for alpha in alphas:
        student = SoftLabelClassifier(alpha=alpha, max_iter=1000)
        hard = make_pipeline(StandardScaler(), student).fit(X_train, y_train)
        results.setdefault(("hard labels", alpha, None), []).append(
            scores(hard, X_test, y_test)
        )
        for temperature in temperatures:
            teacher = MLPClassifier(
                hidden_layer_sizes=(64,), max_iter=2000, random_state=seed
            )
            distilled = make_pipeline(
                StandardScaler(),
                DistillationClassifier(
                    teacher, student, temperature=temperature, random_state=seed
                ),
            ).fit(X_train, y_train)
            results.setdefault(("distilled", alpha, temperature), []).append(
                scores(distilled, X_test, y_test)
            )
    # The teacher refitted on all training rows, the same in every fit above.
    scaler, model = distilled[0], distilled[-1]
    results.setdefault(("teacher (MLP)", None, None), []).append(
        scores(model.teacher_, scaler.transform(X_test), y_test)
    )

means = {key: np.mean(values, axis=0) for key, values in results.items()}
show(
    Table(
        ["model", "student alpha", "temperature", "test log loss", "test accuracy"],
        [
            [
                model,
                "" if alpha is None else f"{alpha:g}",
                "" if temperature is None else f"{temperature:g}",
                f"{log_loss:.3f}",
                f"{accuracy:.3f}",
            ]
            for (model, alpha, temperature), (log_loss, accuracy) in means.items()
        ],
    )
)

# %%
# The same numbers, drawn against the temperature.

fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharex=True)
for column, (ax, name) in enumerate(zip(axes, ["log loss", "accuracy"], strict=True)):
    for alpha, color in zip(alphas, ["tab:red", "tab:blue"], strict=True):
        distilled = [means[("distilled", alpha, t)][column] for t in temperatures]
        ax.plot(
            temperatures, distilled, "o-", color=color, label=f"distilled, {alpha=:g}"
        )
        ax.axhline(
            means[("hard labels", alpha, None)][column],
            color=color,
            linestyle="--",
            label=f"hard labels, {alpha=:g}",
        )
    ax.axhline(
        means[("teacher (MLP)", None, None)][column],
        color="black",
        linestyle=":",
        label="teacher (MLP)",
    )
    ax.set(xscale="log", xlabel="temperature T", ylabel=f"test {name}")
    ax.set_xticks(temperatures, [f"{t:g}" for t in temperatures])
    ax.xaxis.set_minor_locator(NullLocator())
axes[0].set_yscale("log")
axes[0].legend(fontsize="small")
fig.suptitle("Breast cancer: a linear student on hard labels or distilled")
fig.tight_layout()
plt.show()
