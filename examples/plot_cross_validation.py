"""
Cross-validation on soft targets: two silent traps and the recipe
=================================================================

scikit-learn's model selection was written for hard labels. Given soft targets (rows
of class probabilities), two of its defaults fail without an error from scikit-learn:

1. ``cv=5`` (or ``cv=None``) becomes an **unshuffled, unstratified** ``KFold``:
   :func:`~sklearn.model_selection.check_cv` stratifies only binary and multiclass
   label vectors, and a 2-D matrix of probabilities is neither. On rows sorted by
   class, each fold then holds out whole classes that the model never saw. The
   scorers of :func:`sksoftce.metrics.get_scorer` see the symptom and warn; with
   the default ``scoring=None`` nothing does.
2. ``scoring="neg_log_loss"`` (or ``"accuracy"``, ``"neg_brier_score"``) scores
   hard labels only. On soft targets every score is NaN, with one ``UserWarning``
   per fold, and ``GridSearchCV`` ranks NaNs: it picks the first candidate. The
   soft-label scorer's name, ``"neg_soft_log_loss"``, is refused as a string,
   since scikit-learn validates ``scoring=`` against its own names.

The recipe: ``cv=SoftStratifiedKFold(5, shuffle=True, random_state=0)`` and
``scoring=sksoftce.metrics.get_scorer("neg_soft_log_loss")`` (the scorer object,
not its name). This example measures both traps on the digits data, sorted by
class as many files are, with label-smoothed targets.
"""

import sys
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, check_cv, cross_val_score
from sklearn.preprocessing import StandardScaler

from sksoftce import SoftLabelClassifier
from sksoftce.metrics import get_scorer
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
order = np.argsort(y, kind="stable")  # rows sorted by class
X, y = StandardScaler().fit_transform(X[order]), y[order]
Y = 0.9 * np.eye(10)[y] + 0.1 / 10  # label smoothing 0.1: soft targets
clf = SoftLabelClassifier(alpha=1.0)

# %%
# Trap 1: the default ``cv=5``
# ----------------------------
# ``check_cv`` shows what ``cross_val_score`` will use for these targets.
print("check_cv(5, Y, classifier=True) ->", check_cv(5, Y, classifier=True))
print("check_cv(5, y, classifier=True) ->", check_cv(5, y, classifier=True))

soft_accuracy = get_scorer("soft_accuracy")
# sksoftce's scorer sees each test fold: here it warns once per fold that the fold
# holds few of the model's classes. The warnings are recorded and the first printed.
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    default_cv = cross_val_score(clf, X, Y, cv=5, scoring=soft_accuracy)
print(f"{len(caught)} warnings; the first: {caught[0].message}")
recipe_cv = cross_val_score(
    clf,
    X,
    Y,
    cv=SoftStratifiedKFold(5, shuffle=True, random_state=0),
    scoring=soft_accuracy,
)
hard_cv = cross_val_score(clf, X, y, cv=5, scoring=soft_accuracy)
show(
    Table(
        ["targets", "cv", "accuracy per fold", "mean"],
        [
            [
                "soft",
                "cv=5 (unshuffled KFold)",
                np.array2string(default_cv, precision=3),
                f"{default_cv.mean():.3f}",
            ],
            [
                "soft",
                "SoftStratifiedKFold(5, shuffle=True)",
                np.array2string(recipe_cv, precision=3),
                f"{recipe_cv.mean():.3f}",
            ],
            [
                "hard labels y",
                "cv=5 (StratifiedKFold)",
                np.array2string(hard_cv, precision=3),
                f"{hard_cv.mean():.3f}",
            ],
        ],
    )
)

# %%
# The same model, the same rows: only the folds differ. Each unshuffled fold holds
# out two classes, which its training rows never show. On hard labels scikit-learn
# stratifies by itself, so the trap is specific to soft targets.
folds = list(check_cv(5, Y, classifier=True).split(X, Y))
stratified = list(SoftStratifiedKFold(5, shuffle=True, random_state=0).split(X, Y))
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5))
for ax, splits, title in [
    (left, folds, "cv=5 on soft targets (KFold)"),
    (right, stratified, "SoftStratifiedKFold(5, shuffle=True)"),
]:
    counts = np.array([np.bincount(y[test], minlength=10) for _, test in splits])
    ax.imshow(counts, aspect="auto", cmap="Blues")
    ax.set(
        title=title,
        xlabel="class",
        ylabel="test fold",
        xticks=range(10),
        yticks=range(5),
    )
left.text(9.6, -0.8, "rows of each class in each test fold", ha="right", fontsize=8)
fig.tight_layout()
plt.show()

# %%
# Trap 2: ``scoring="neg_log_loss"``
# ----------------------------------
# scikit-learn's log loss takes hard labels, so every fold fails to score. The
# failures are warnings, not errors: they are recorded here and counted (not
# silenced), and the search goes on to pick a candidate among NaNs.
grid = {"alpha": [1e4, 1.0]}  # 1e4 is a useless, heavily penalised model
cv = SoftStratifiedKFold(5, shuffle=True, random_state=0)


def search(scoring):
    """Fit the grid search; return it and the warnings it raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fitted = GridSearchCV(clf, grid, cv=cv, scoring=scoring).fit(X, Y)
    return fitted, caught


rows = []
messages = {}
for label, scoring in [
    ('"neg_log_loss" (scikit-learn)', "neg_log_loss"),
    ('get_scorer("neg_log_loss")', get_scorer("neg_log_loss")),
    ('get_scorer("neg_soft_log_loss")', get_scorer("neg_soft_log_loss")),
]:
    fitted, caught = search(scoring)
    messages[label] = caught
    rows.append(
        [
            label,
            np.array2string(fitted.cv_results_["mean_test_score"], precision=3),
            str(fitted.best_params_),
            str(len(caught)),
        ]
    )
show(
    Table(
        ["scoring=", "mean score per alpha (1e4, 1)", "chosen", "warnings"],
        rows,
    )
)

# %%
# What the warnings say. scikit-learn's own scorer fails inside ``log_loss`` with a
# message about the target type; the scorer that ``sksoftce.metrics.get_scorer``
# returns for the same name raises a ``ValueError`` that names the replacement, and
# that message is what each fold's warning carries.
for label in ('"neg_log_loss" (scikit-learn)', 'get_scorer("neg_log_loss")'):
    last_line = str(messages[label][0].message).strip().splitlines()[-1]
    print(f"{label}: {last_line}\n")

try:
    cross_val_score(clf, X, Y, cv=cv, scoring="neg_soft_log_loss")
except ValueError as exc:  # scikit-learn's InvalidParameterError
    print(f"scoring='neg_soft_log_loss' as a string: {str(exc)[:150]}...")

# %%
# The recipe, in one search:
#
# .. code-block:: python
#
#     from sksoftce.metrics import get_scorer
#     from sksoftce.model_selection import SoftStratifiedKFold
#
#     GridSearchCV(
#         SoftLabelClassifier(),
#         {"alpha": [1e-2, 1.0, 1e2]},
#         cv=SoftStratifiedKFold(5, shuffle=True, random_state=0),
#         scoring=get_scorer("neg_soft_log_loss"),
#     )
#
# For several metrics, ``scoring=get_scorer(["neg_soft_log_loss", "soft_accuracy"])``
# gives a dict, with ``refit="neg_soft_log_loss"``.
