"""
A 2-unit softmax with CCE is one sigmoid with BCE
=================================================

For two classes, a softmax over logits ``(z0, z1)`` gives
``softmax(z)_1 = sigmoid(z1 - z0)``, and the categorical cross-entropy of a target
``(1 - t, t)`` is exactly the binary cross-entropy of ``t`` against
``sigmoid(z1 - z0)``. So the two models describe the same probabilities, and only
the penalty differs: the softmax model penalises both weight vectors, and at the
optimum they are opposite (``w1 = -w0 = w / 2``), so its penalty is
``||w0||^2 + ||w1||^2 = ||w||^2 / 2``. Hence CCE with ``alpha`` is BCE with
``alpha / 2``, for hard and for soft targets alike.

This example checks it numerically on the breast cancer data, with hard labels
and with soft targets, and plots the loss of both as a function of the logit.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.preprocessing import StandardScaler

from sksoftce import SoftLabelClassifier

X, y = load_breast_cancer(return_X_y=True)
X = StandardScaler().fit_transform(X)
rng = np.random.default_rng(0)
# Soft targets: the label, blurred towards a random probability.
t_soft = np.clip(0.7 * y + 0.3 * rng.uniform(size=y.shape), 0, 1)

alpha = 1.0
fits = {}
for targets_name, targets in [("hard labels", y), ("soft targets", t_soft)]:
    # A Newton solver (exact Hessian products) reaches the optimum to ~1e-10.
    cce = SoftLabelClassifier(loss="cce", alpha=alpha, solver="trust-ncg", tol=1e-10)
    bce = SoftLabelClassifier(
        loss="bce", alpha=alpha / 2, solver="trust-ncg", tol=1e-10
    )
    cce.fit(X, targets)
    bce.fit(X, targets)
    fits[targets_name] = (cce, bce)
    proba_gap = np.abs(cce.predict_proba(X) - bce.predict_proba(X)).max()
    coef_gap = np.abs(cce.coef_ - bce.coef_).max() / np.abs(bce.coef_).max()
    print(
        f"{targets_name}: CCE (2 softmax units, alpha={alpha}) vs BCE (1 sigmoid, "
        f"alpha={alpha / 2}): max |proba difference| = {proba_gap:.1e}, max relative "
        f"coef difference = {coef_gap:.1e}, objectives {cce.loss_:.10f} vs {bce.loss_:.10f}"
    )

# With the same alpha the two models differ: the sigmoid model is penalised twice as much.
same_alpha = SoftLabelClassifier(
    loss="bce", alpha=alpha, solver="trust-ncg", tol=1e-10
).fit(X, y)
print(
    "BCE with the same alpha instead: max |proba difference| = "
    f"{np.abs(fits['hard labels'][0].predict_proba(X) - same_alpha.predict_proba(X)).max():.1e}"
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
