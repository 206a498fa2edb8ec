"""
When does distillation help?
============================

A measurement, not a demonstration: on four data sets (digits, breast cancer,
wine, and a synthetic three-class problem with 20% of its labels flipped), over
10 stratified 50/50 splits each, students are trained

* on the hard labels,
* on a teacher's **cross-fitted** probabilities (what
  :class:`~sksoftce.DistillationClassifier` does: every training row labelled by
  a teacher fitted on the other four of five folds), and
* on the teacher's **in-sample** probabilities (the teacher fitted on all
  training rows predicting those same rows; :class:`~sksoftce.DistillationClassifier`
  with a :class:`~sklearn.frozen.FrozenEstimator` teacher).

Teachers: a random forest (100 bootstrapped trees) and an MLP
(:class:`~sklearn.neural_network.MLPClassifier`, 64 ReLU units, Adam). Students:
:class:`~sksoftce.SoftLabelClassifier` (L-BFGS-B), linear and MLP with 16 tanh
units, each with a weak (``alpha=1e-4``) and a strong (``alpha=1``) penalty;
temperature 1, no hard-label weight. (tanh rather than ReLU: L-BFGS-B reaches
``tol`` in about a tenth of the iterations on these smooth objectives.) The
features are standardised on the training half of each split.

It prints Markdown tables of the test log loss and accuracy (means over the
splits) and how many of the splits the distilled student wins: a lower log loss
(higher accuracy) than the hard-label student, or than the student of in-sample
targets. Fits that stop at ``max_iter`` are counted and reported, not hidden.

The cross-fitted targets of a split are computed once and shared by the four
students (``DistillationClassifier`` would cross-fit the teacher anew for each);
on the first split of every data set the script checks that they train the same
student as ``DistillationClassifier`` itself. It runs in about four minutes on
two cores.
"""

import time
import warnings

import numpy as np
from sklearn.base import clone
from sklearn.datasets import (
    load_breast_cancer,
    load_digits,
    load_wine,
    make_classification,
)
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import (
    StratifiedKFold,
    StratifiedShuffleSplit,
    cross_val_predict,
)
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

from sksoftce import DistillationClassifier, SoftLabelClassifier
from sksoftce.metrics import soft_accuracy_score, soft_log_loss

N_SPLITS = 10
N_FOLDS = 5
MAX_ITER = 5000  # students; the MLP teacher has 2000 epochs


def _noisy_three_classes():
    return make_classification(
        n_samples=1000,
        n_features=20,
        n_informative=8,
        n_classes=3,
        flip_y=0.2,
        random_state=0,
    )


DATA_SETS = {
    "digits": lambda: load_digits(return_X_y=True),
    "breast cancer": lambda: load_breast_cancer(return_X_y=True),
    "wine": lambda: load_wine(return_X_y=True),
    "synthetic, 20% flipped": _noisy_three_classes,
}


def teachers(seed):
    return {
        "random forest": RandomForestClassifier(n_estimators=100, random_state=seed),
        "MLP (64,)": MLPClassifier(
            hidden_layer_sizes=(64,), max_iter=2000, random_state=seed
        ),
    }


def students(seed, classes=None):
    return {
        (name, alpha): SoftLabelClassifier(
            hidden_layer_sizes=hidden,
            activation="tanh",
            alpha=alpha,
            max_iter=MAX_ITER,
            classes=classes,
            random_state=seed,
        )
        for name, hidden in [("linear", ()), ("MLP (16,)", (16,))]
        for alpha in [1e-4, 1.0]
    }


class FitCounter:
    """Counts fits and the ConvergenceWarnings they raise, per kind of model."""

    def __init__(self):
        self.fits, self.not_converged = {}, {}

    def fit(self, kind, estimator, *args, **kwargs):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            estimator.fit(*args, **kwargs)
        stopped = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
        self.fits[kind] = self.fits.get(kind, 0) + 1
        self.not_converged[kind] = self.not_converged.get(kind, 0) + bool(stopped)
        for w in caught:  # anything else is shown as usual
            if w not in stopped:
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        return estimator


def _scores(y_test, proba):
    return soft_log_loss(y_test, proba), soft_accuracy_score(y_test, proba)


def run_split(X, y, train, test, seed, counter, check=False):
    """Scores on one split: {(teacher, student, targets): (log loss, accuracy)}."""
    scaler = StandardScaler().fit(X[train])
    X_train, X_test = scaler.transform(X[train]), scaler.transform(X[test])
    y_train, y_test = y[train], y[test]
    classes = np.unique(y_train)
    results = {}
    for key, student in students(seed).items():
        counter.fit(f"student {key[0]}", student, X_train, y_train)
        results[(None, key, "hard")] = _scores(y_test, student.predict_proba(X_test))
    folds = StratifiedKFold(N_FOLDS, shuffle=True, random_state=seed)
    for teacher_name, teacher in teachers(seed).items():
        kind = f"teacher {teacher_name}"
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            cross_fitted = cross_val_predict(
                clone(teacher), X_train, y_train, cv=folds, method="predict_proba"
            )
        counter.fits[kind] = counter.fits.get(kind, 0) + N_FOLDS
        counter.not_converged[kind] = counter.not_converged.get(kind, 0) + sum(
            issubclass(w.category, ConvergenceWarning) for w in caught
        )
        in_sample_teacher = counter.fit(kind, clone(teacher), X_train, y_train)
        results[(teacher_name, None, "teacher")] = _scores(
            y_test, in_sample_teacher.predict_proba(X_test)
        )
        frozen = FrozenEstimator(in_sample_teacher)
        for key, student in students(seed, classes).items():
            counter.fit(f"student {key[0]}", student, X_train, cross_fitted)
            results[(teacher_name, key, "cross-fitted")] = _scores(
                y_test, student.predict_proba(X_test)
            )
            in_sample = DistillationClassifier(frozen, clone(student))
            counter.fit(f"student {key[0]}", in_sample, X_train, y_train)
            results[(teacher_name, key, "in-sample")] = _scores(
                y_test, in_sample.predict_proba(X_test)
            )
            if check and key == ("linear", 1.0):
                model = DistillationClassifier(
                    clone(teacher), clone(student), cv=N_FOLDS, random_state=seed
                )
                counter.fit("check: DistillationClassifier", model, X_train, y_train)
                # The shared targets are DistillationClassifier's own.
                np.testing.assert_allclose(
                    model.predict_proba(X_test),
                    student.predict_proba(X_test),
                    rtol=1e-10,
                )
    return results


def run(data_sets=DATA_SETS, n_splits=N_SPLITS):
    """All splits of all data sets: {data set: {key: array (n_splits, 2)}}."""
    counter = FitCounter()
    out = {}
    for name, load in data_sets.items():
        X, y = load()
        splitter = StratifiedShuffleSplit(n_splits, test_size=0.5, random_state=0)
        per_split = [
            run_split(X, y, train, test, seed, counter, check=seed == 0)
            for seed, (train, test) in enumerate(splitter.split(X, y))
        ]
        out[name] = {key: np.array([r[key] for r in per_split]) for key in per_split[0]}
    return out, counter


def _wins(a, b, lower=True):
    return int(np.sum(a < b)) if lower else int(np.sum(a > b))


def print_tables(results, counter, n_splits=N_SPLITS):
    print("Teachers: test log loss and accuracy, means over the splits\n")
    print("| data set | teacher | log loss | accuracy |")
    print("|---|---|---:|---:|")
    for data, scores in results.items():
        for teacher_name in teachers(0):
            ll, acc = scores[(teacher_name, None, "teacher")].mean(axis=0)
            print(f"| {data} | {teacher_name} | {ll:.3f} | {acc:.3f} |")

    print(
        "\nStudents: test log loss and accuracy (means over the splits) on hard "
        "labels (hard), cross-fitted targets (cf) and in-sample targets (in); "
        f"wins = splits out of {n_splits} where cf is better\n"
    )
    print(
        "| data set | teacher | student | alpha | log loss: hard | cf | in "
        "| cf wins vs hard | cf wins vs in | accuracy: hard | cf | in "
        "| cf wins vs hard |"
    )
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for data, scores in results.items():
        for teacher_name in teachers(0):
            for key in students(0):
                hard = scores[(None, key, "hard")]
                cf = scores[(teacher_name, key, "cross-fitted")]
                ins = scores[(teacher_name, key, "in-sample")]
                print(
                    f"| {data} | {teacher_name} | {key[0]} | {key[1]:g} "
                    f"| {hard[:, 0].mean():.3f} | {cf[:, 0].mean():.3f} "
                    f"| {ins[:, 0].mean():.3f} "
                    f"| {_wins(cf[:, 0], hard[:, 0])} | {_wins(cf[:, 0], ins[:, 0])} "
                    f"| {hard[:, 1].mean():.3f} | {cf[:, 1].mean():.3f} "
                    f"| {ins[:, 1].mean():.3f} "
                    f"| {_wins(cf[:, 1], hard[:, 1], lower=False)} |"
                )

    print("\nFits stopped by their iteration limit (ConvergenceWarning)\n")
    print("| model | fits | not converged |")
    print("|---|---:|---:|")
    for kind, n in counter.fits.items():
        print(f"| {kind} | {n} | {counter.not_converged[kind]} |")


if __name__ == "__main__":
    start = time.perf_counter()
    results, counter = run()
    print_tables(results, counter)
    print(f"\nRun time: {time.perf_counter() - start:.0f} s")
