"""
Soft labels from a teacher model: distillation vs hard labels
=============================================================

Knowledge distillation trains a student on the probabilities a teacher predicts,
softened with a temperature ``T`` (``p_k`` proportional to ``p_k ** (1 / T)``),
instead of on the hard labels. :class:`~sksoftce.SoftLabelClassifier` takes those
probability rows as ``y`` directly.

Here the teacher is an MLP trained on all the training rows of the digits data,
and the students are linear models trained on subsets of growing size, once on
the hard labels and once on the teacher's softened probabilities of the same
rows. The test accuracy and log loss of every student are printed and plotted;
the numbers say whether the soft targets helped at each size.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sksoftce import SoftLabelClassifier
from sksoftce.metrics import soft_accuracy_score, soft_log_loss

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.4, stratify=y, random_state=0)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

teacher = SoftLabelClassifier(hidden_layer_sizes=(128,), alpha=1.0, max_iter=500, random_state=0)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    teacher.fit(X_train, y_train)
print(f"teacher (MLP, 128 units) test accuracy: {teacher.score(X_test, y_test):.4f}")


def soften(proba, temperature):
    logp = np.log(np.clip(proba, 1e-12, 1)) / temperature
    logp -= logp.max(axis=1, keepdims=True)
    p = np.exp(logp)
    return p / p.sum(axis=1, keepdims=True)


temperature = 2.0
teacher_targets = soften(teacher.predict_proba(X_train), temperature)
rng = np.random.default_rng(0)
order = rng.permutation(len(y_train))
sizes = [50, 100, 200, 400, len(y_train)]
results = {"hard labels": [], f"teacher, T={temperature:g}": []}
print("\n| training rows | student on | test accuracy | test log loss |")
print("|---|---|---|---|")
for size in sizes:
    rows = order[:size]
    for name, targets in [("hard labels", y_train[rows]), (f"teacher, T={temperature:g}", teacher_targets[rows])]:
        # classes= names the columns, so every student predicts all 10 digits.
        student = SoftLabelClassifier(alpha=1.0, classes=np.arange(10), max_iter=500).fit(X_train[rows], targets)
        proba = student.predict_proba(X_test)
        accuracy, log_loss = soft_accuracy_score(y_test, proba), soft_log_loss(y_test, proba)
        results[name].append((accuracy, log_loss))
        print(f"| {size} | {name} | {accuracy:.4f} | {log_loss:.4f} |")

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
for name, values in results.items():
    left.plot(sizes, [a for a, _ in values], "o-", label=name)
    right.plot(sizes, [l for _, l in values], "o-", label=name)
left.set(xscale="log", xlabel="training rows", ylabel="test accuracy", title="Linear student: accuracy")
right.set(xscale="log", xlabel="training rows", ylabel="test log loss", title="Linear student: log loss")
left.legend()
fig.tight_layout()
plt.show()
