"""
A grid search over loss, penalty, architecture and mixup with soft-label scorers
================================================================================

Soft targets need scorers that read them: ``scoring="neg_log_loss"`` from
scikit-learn expects hard labels. :func:`sksoftce.metrics.get_scorer` gives
scorers for the soft-label metrics, usable in ``GridSearchCV``; with a list of
names it returns the dict ``GridSearchCV`` takes for multi-metric scoring. The
folds come from :class:`~sksoftce.model_selection.SoftStratifiedKFold`, which
stratifies the soft targets on their argmax.

The targets here are soft: each digit's one-hot label blended with the
predictions of a weak model, as annotator vote shares or a teacher would give.
The search refits the best model by soft log loss and then scores it on held-out
rows; the plot shows the cross-validated log loss of every candidate.
"""

import sys
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.preprocessing import StandardScaler

from sksoftce import MixupTransformer, SoftLabelClassifier
from sksoftce.metrics import get_scorer, soft_log_loss
from sksoftce.model_selection import SoftStratifiedKFold


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
X = StandardScaler().fit_transform(X)
# Soft targets: 80% the true label, 20% a weak linear model on 8 pixels.
weak = SoftLabelClassifier().fit(X[:, ::8], y)
Y = 0.8 * np.eye(10)[y] + 0.2 * weak.predict_proba(X[:, ::8])
X_train, X_test, Y_train, Y_test = train_test_split(X, Y, test_size=0.5, random_state=0)

grid = {
    "loss": ["cce", "bce"],
    "alpha": [0.1, 3.0],
    "hidden_layer_sizes": [(), (32,)],
    "mixup": [None, MixupTransformer(alpha=0.2, random_state=0)],
}
search = GridSearchCV(
    SoftLabelClassifier(max_iter=100, random_state=0),
    grid,
    scoring=get_scorer(
        ["neg_soft_log_loss", "soft_accuracy", "neg_expected_calibration_error"]
    ),
    refit="neg_soft_log_loss",
    cv=SoftStratifiedKFold(n_splits=3, shuffle=True, random_state=0),
)
# A fixed budget of 100 iterations per fit: the fits that reach it raise a
# ConvergenceWarning, recorded here and counted below rather than printed one by one.
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always", ConvergenceWarning)
    search.fit(X_train, Y_train)
for w in caught:
    if not issubclass(w.category, ConvergenceWarning):
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
n_fits = len(search.cv_results_["params"]) * search.n_splits_ + 1
n_budget = sum(issubclass(w.category, ConvergenceWarning) for w in caught)

results = search.cv_results_
order = np.argsort(results["rank_test_neg_soft_log_loss"])
labels = [
    f"{p['loss']}, alpha={p['alpha']}, {p['hidden_layer_sizes'] or 'linear'}"
    f"{', mixup' if p['mixup'] is not None else ''}"
    for p in results["params"]
]
best_test = soft_log_loss(Y_test, search.predict_proba(X_test))
print(
    f"{n_budget} of {n_fits} fits (refit included) stopped at the budget of 100 "
    "iterations with a ConvergenceWarning; the others converged.\n"
    f"best: {labels[search.best_index_]}; held-out soft log loss {best_test:.4f}"
)
show(
    Table(
        ["rank", "candidate", "CV soft log loss", "CV soft accuracy", "CV ECE"],
        [
            [
                results["rank_test_neg_soft_log_loss"][i],
                labels[i],
                f"{-results['mean_test_neg_soft_log_loss'][i]:.4f}",
                f"{results['mean_test_soft_accuracy'][i]:.4f}",
                f"{-results['mean_test_neg_expected_calibration_error'][i]:.4f}",
            ]
            for i in order
        ],
    )
)

# %%
# The cross-validated log loss of every candidate.

fig, ax = plt.subplots(figsize=(8, 6))
ax.barh(
    [labels[i] for i in order][::-1],
    [-results["mean_test_neg_soft_log_loss"][i] for i in order][::-1],
    xerr=[results["std_test_neg_soft_log_loss"][i] for i in order][::-1],
)
ax.set(
    xlabel="cross-validated soft log loss (lower is better)",
    title="GridSearchCV with soft-label scorers",
)
fig.tight_layout()
plt.show()
