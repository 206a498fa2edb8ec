"""
A 2-unit softmax with CCE and one sigmoid with BCE: when they are the same model
================================================================================

For two classes, a softmax over logits ``(z0, z1)`` gives
``softmax(z)_1 = sigmoid(z1 - z0)``, and the categorical cross-entropy of a target
``(1 - t, t)`` is exactly the binary cross-entropy of ``t`` against
``sigmoid(z1 - z0)``. So the two models describe the same probabilities, and only
the penalty differs: the softmax model penalises both weight vectors, and at the
optimum they are opposite (``w1 = -w0 = w / 2``), so its penalty is
``||w0||^2 + ||w1||^2 = ||w||^2 / 2``. Hence CCE with ``alpha`` is BCE with
``alpha / 2``, for hard and for soft targets alike: for a linear model, at the
optimum.

This example checks it numerically on the breast cancer data, with hard labels
and with soft targets, and measures where it stops holding: at the default
tolerance (each fit stops at its own point near the optimum) and for an MLP (the
halved penalty also reaches the hidden layer, and the optima of a non-convex
objective differ). It plots the loss of both as a function of the logit.
"""

import sys

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.preprocessing import StandardScaler

from sksoftce import SoftLabelClassifier


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
X = StandardScaler().fit_transform(X)
rng = np.random.default_rng(0)
# Soft targets: the label, blurred towards a random probability.
t_soft = np.clip(0.7 * y + 0.3 * rng.uniform(size=y.shape), 0, 1)


def proba_gap(a, b):
    """Largest difference between the two models' predicted probabilities."""
    return np.abs(a.predict_proba(X) - b.predict_proba(X)).max()


alpha = 1.0
fits = {}
rows = []
for targets_name, targets in [("hard labels", y), ("soft targets", t_soft)]:
    # A Newton solver (exact Hessian products) reaches the optimum to ~1e-10.
    cce = SoftLabelClassifier(loss="cce", alpha=alpha, solver="trust-ncg", tol=1e-10)
    bce = SoftLabelClassifier(
        loss="bce", alpha=alpha / 2, solver="trust-ncg", tol=1e-10
    )
    cce.fit(X, targets)
    bce.fit(X, targets)
    fits[targets_name] = (cce, bce)
    coef_gap = np.abs(cce.coef_ - bce.coef_).max() / np.abs(bce.coef_).max()
    rows.append(
        [
            f"linear, {targets_name}",
            "trust-ncg, tol=1e-10",
            "alpha / 2",
            f"{proba_gap(cce, bce):.1e}",
            f"coef (relative) {coef_gap:.1e}; objectives {cce.loss_:.10f} and "
            f"{bce.loss_:.10f}",
        ]
    )

# With the same alpha the two models differ: the sigmoid model is penalised twice as
# much.
same_alpha = SoftLabelClassifier(
    loss="bce", alpha=alpha, solver="trust-ncg", tol=1e-10
).fit(X, y)
rows.append(
    [
        "linear, hard labels",
        "trust-ncg, tol=1e-10",
        "same alpha",
        f"{proba_gap(fits['hard labels'][0], same_alpha):.1e}",
        "the penalty differs by a factor 2",
    ]
)

# %%
# The identity holds at the optimum. At the default tolerance, each solver stops
# wherever its own path meets ``tol``, and the two models differ by that much.
for tol in (1e-4, 1e-6, 1e-8):
    cce = SoftLabelClassifier(loss="cce", alpha=alpha, tol=tol, max_iter=1000)
    bce = SoftLabelClassifier(loss="bce", alpha=alpha / 2, tol=tol, max_iter=1000)
    cce.fit(X, y)
    bce.fit(X, y)
    rows.append(
        [
            "linear, hard labels",
            f"L-BFGS-B, tol={tol:g}" + (" (default)" if tol == 1e-4 else ""),
            "alpha / 2",
            f"{proba_gap(cce, bce):.1e}",
            f"{cce.n_iter_} and {bce.n_iter_} iterations",
        ]
    )

# %%
# An MLP is not covered. Its output layer is the linear model above, applied to the
# hidden units, but halving ``alpha`` also halves the penalty on the hidden layer,
# which the softmax model keeps at ``alpha``; and the objective is not convex, so the
# two fits (whose output layers are initialised differently, one unit against two)
# end in different optima. Both fits below stop by their own rule.
cce = SoftLabelClassifier(
    loss="cce", alpha=alpha, hidden_layer_sizes=(8,), max_iter=2000, random_state=0
).fit(X, y)
bce = SoftLabelClassifier(
    loss="bce", alpha=alpha / 2, hidden_layer_sizes=(8,), max_iter=2000, random_state=0
).fit(X, y)
rows.append(
    [
        "MLP (8,), hard labels",
        "L-BFGS-B, tol=1e-4",
        "alpha / 2",
        f"{proba_gap(cce, bce):.3f}",
        f"{cce.n_iter_} and {bce.n_iter_} iterations; training accuracy "
        f"{cce.score(X, y):.4f} and {bce.score(X, y):.4f}",
    ]
)
show(
    Table(
        [
            "model, targets",
            "solver",
            "BCE's alpha",
            "largest difference in probability",
            "also",
        ],
        rows,
    )
)

# %%
# The coefficients of the two fits lie on the diagonal, and the loss of one sample
# as a function of the logit difference is the same curve for both models.
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
for (name, (cce, bce)), marker in zip(fits.items(), ["o", "x"], strict=True):
    left.scatter(bce.coef_.ravel(), cce.coef_.ravel(), marker=marker, label=name)
lim = np.abs(left.get_xlim()).max()
left.plot([-lim, lim], [-lim, lim], color="grey", lw=0.8)
left.set(
    xlabel="BCE coef_ (alpha / 2)",
    ylabel="CCE coef_ (alpha)",
    title="Fitted coefficients",
)
left.legend()

z = np.linspace(-6, 6, 200)
for t in (1.0, 0.7):
    bce_loss = np.logaddexp(0, -z) * t + np.logaddexp(0, z) * (1 - t)
    logits = np.column_stack([np.zeros_like(z), z])  # softmax units (z0, z1) = (0, z)
    log_softmax = logits - np.logaddexp(logits[:, 0], logits[:, 1])[:, None]
    cce_loss = -(1 - t) * log_softmax[:, 0] - t * log_softmax[:, 1]
    right.plot(z, bce_loss, lw=3, alpha=0.4, label=f"BCE, t={t}")
    right.plot(z, cce_loss, "--", label=f"CCE, t={t}")
    print(
        f"t={t}: max |CCE - BCE| over the logit grid = {np.abs(cce_loss - bce_loss).max():.1e}"
    )
right.set(
    xlabel="logit difference z1 - z0", ylabel="loss of one sample", title="Loss curves"
)
right.legend()
fig.tight_layout()
plt.show()
