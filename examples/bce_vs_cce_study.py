"""BCE or CCE, with and without mixup: a paired study on six data sets.

Loss (``"bce"``, ``"cce"``) x mixup (none, ``alpha=0.2``, ``alpha=1``) x model
(linear, MLP (64,)) on scikit-learn's iris, wine, breast cancer and digits data and on
two synthetic problems made by ``make_classification``: three classes with 20% of the
labels (train and test) replaced at random (``flip_y=0.2``), and twenty classes.
Every configuration is fitted on the same 10 stratified 70/30 splits (paired), with a
StandardScaler fitted on the training rows, and scored on the test rows by accuracy,
log loss and top-label expected calibration error (10 bins).

- Linear models: ``alpha=1`` (``LogisticRegression``'s default ``C=1``), L-BFGS-B to
  ``tol=1e-4`` (the SciPy solvers redraw the mixtures every 5 iterations and stop by
  their rule on the unmixed rows), ``max_iter=1500``.
- MLPs (64,), ReLU: ``alpha=1e-4``, ``solver="adam"`` (fresh mixtures in every
  mini-batch), ``batch_size=32``, ``max_iter=1000`` epochs, the default stopping rule
  (``tol=1e-4``, ``n_iter_no_change=10``).

A fit that reaches ``max_iter`` raises a ``ConvergenceWarning``: the script records
it (column ``converged``) instead of silencing it, and the results page reports the
counts. The per-split results go to ``examples/results/bce_vs_cce_study.csv`` and the
settings, versions and run time to ``examples/results/bce_vs_cce_study.json``; the
documentation builds its tables and plots from these files and does not rerun the
study.

Run with ``python examples/bce_vs_cce_study.py`` (about 15 minutes on 2 cores), or
``python examples/bce_vs_cce_study.py --quick`` (2 splits, 2 data sets) to try it.
"""

import csv
import json
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import scipy
import sklearn
from sklearn.datasets import (
    load_breast_cancer,
    load_digits,
    load_iris,
    load_wine,
    make_classification,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedShuffleSplit
from sklearn.preprocessing import StandardScaler

import sksoftce
from sksoftce import MixupTransformer, SoftLabelClassifier
from sksoftce.metrics import (
    expected_calibration_error,
    soft_accuracy_score,
    soft_log_loss,
)

RESULTS = Path(__file__).resolve().parent / "results"
N_SPLITS = 10
LOSSES = ("bce", "cce")
MIXUPS = ("none", "0.2", "1")
MODELS = {
    "linear": dict(hidden_layer_sizes=(), alpha=1.0, solver="L-BFGS-B", max_iter=1500),
    "MLP (64,)": dict(
        hidden_layer_sizes=(64,),
        alpha=1e-4,
        solver="adam",
        batch_size=32,
        max_iter=1000,
    ),
}
FIELDS = (
    "dataset",
    "split",
    "model",
    "loss",
    "mixup",
    "accuracy",
    "log_loss",
    "ece",
    "converged",
    "n_iter",
    "fit_seconds",
)


def _noisy():
    return make_classification(
        n_samples=1000,
        n_features=20,
        n_informative=6,
        n_redundant=2,
        n_classes=3,
        flip_y=0.2,
        random_state=0,
    )


def _many_classes():
    return make_classification(
        n_samples=2000,
        n_features=30,
        n_informative=15,
        n_redundant=5,
        n_classes=20,
        n_clusters_per_class=1,
        class_sep=1.5,
        random_state=0,
    )


DATASETS = {
    "iris": lambda: load_iris(return_X_y=True),
    "wine": lambda: load_wine(return_X_y=True),
    "breast cancer": lambda: load_breast_cancer(return_X_y=True),
    "digits": lambda: load_digits(return_X_y=True),
    "synthetic, 3 classes, 20% noise": _noisy,
    "synthetic, 20 classes": _many_classes,
}


def fit_and_score(X_train, y_train, X_test, y_test, model, loss, mixup, seed):
    """One fit: its test scores and whether it stopped by its own rule."""
    clf = SoftLabelClassifier(
        loss,
        mixup=None if mixup == "none" else MixupTransformer(float(mixup)),
        random_state=seed,
        **MODELS[model],
    )
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        # Recorded, not silenced: the "converged" column counts them.
        warnings.simplefilter("always", ConvergenceWarning)
        clf.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    for w in caught:
        if not issubclass(w.category, ConvergenceWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    proba = clf.predict_proba(X_test)
    return dict(
        accuracy=soft_accuracy_score(y_test, proba, labels=clf.classes_),
        log_loss=soft_log_loss(y_test, proba, labels=clf.classes_),
        ece=expected_calibration_error(y_test, proba, labels=clf.classes_),
        converged=not any(issubclass(w.category, ConvergenceWarning) for w in caught),
        n_iter=clf.n_iter_,
        fit_seconds=seconds,
    )


def run(datasets=DATASETS, n_splits=N_SPLITS, verbose=True):
    """Every configuration on every split of every data set: a list of dict rows."""
    rows = []
    for name, load in datasets.items():
        X, y = load()
        splits = StratifiedShuffleSplit(
            n_splits=n_splits, test_size=0.3, random_state=0
        )
        start = time.perf_counter()
        for split, (train, test) in enumerate(splits.split(X, y)):
            scaler = StandardScaler().fit(X[train])
            X_train, X_test = scaler.transform(X[train]), scaler.transform(X[test])
            for model in MODELS:
                for mixup in MIXUPS:
                    for loss in LOSSES:
                        scores = fit_and_score(
                            X_train,
                            y[train],
                            X_test,
                            y[test],
                            model,
                            loss,
                            mixup,
                            split,
                        )
                        rows.append(
                            dict(
                                dataset=name,
                                split=split,
                                model=model,
                                loss=loss,
                                mixup=mixup,
                                **scores,
                            )
                        )
        if verbose:
            print(f"{name}: {time.perf_counter() - start:.0f} s")
    return rows


def read_results(path=RESULTS / "bce_vs_cce_study.csv"):
    """The cached per-split rows, with numbers parsed."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        row["split"] = int(row["split"])
        row["n_iter"] = int(row["n_iter"])
        row["converged"] = row["converged"] == "True"
        for key in ("accuracy", "log_loss", "ece", "fit_seconds"):
            row[key] = float(row[key])
    return rows


def summarise(rows):
    """One summary per (data set, model, mixup): BCE and CCE side by side.

    For each metric: the mean and standard deviation over splits of both losses, the
    mean paired difference BCE - CCE, and the paired win counts (splits where BCE is
    better, where CCE is better; ties are neither). Better is higher accuracy, lower
    log loss, lower ECE.
    """
    cells = {}
    for row in rows:
        key = (row["dataset"], row["model"], row["mixup"])
        cells.setdefault(key, {}).setdefault(row["loss"], {})[row["split"]] = row
    summaries = []
    for (dataset, model, mixup), by_loss in cells.items():
        splits = sorted(set(by_loss["bce"]) & set(by_loss["cce"]))
        summary = dict(dataset=dataset, model=model, mixup=mixup, n_splits=len(splits))
        for metric, sign in (("accuracy", 1), ("log_loss", -1), ("ece", -1)):
            bce = np.array([by_loss["bce"][s][metric] for s in splits])
            cce = np.array([by_loss["cce"][s][metric] for s in splits])
            diff = bce - cce
            summary[metric] = dict(
                bce_mean=float(bce.mean()),
                bce_std=float(bce.std()),
                cce_mean=float(cce.mean()),
                cce_std=float(cce.std()),
                diff_mean=float(diff.mean()),
                bce_wins=int((sign * diff > 0).sum()),
                cce_wins=int((sign * diff < 0).sum()),
            )
        summary["converged"] = {
            loss: sum(by_loss[loss][s]["converged"] for s in splits) for loss in LOSSES
        }
        summaries.append(summary)
    return summaries


def _write(rows, seconds, quick):
    RESULTS.mkdir(exist_ok=True)
    with open(RESULTS / "bce_vs_cce_study.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {
                    **row,
                    **{
                        k: f"{row[k]:.6g}"
                        for k in ("accuracy", "log_loss", "ece", "fit_seconds")
                    },
                }
            )
    meta = dict(
        quick=quick,
        n_splits=max(row["split"] for row in rows) + 1,
        test_size=0.3,
        models={k: {p: str(v) for p, v in m.items()} for k, m in MODELS.items()},
        mixup_alphas=MIXUPS,
        datasets=sorted({row["dataset"] for row in rows}),
        n_fits=len(rows),
        n_not_converged=sum(not row["converged"] for row in rows),
        wall_seconds=round(seconds, 1),
        machine=(
            f"{platform.processor() or platform.machine()}, Python "
            f"{platform.python_version()}, NumPy {np.__version__}, SciPy "
            f"{scipy.__version__}, scikit-learn {sklearn.__version__}, sksoftce "
            f"{sksoftce.__version__}"
        ),
    )
    (RESULTS / "bce_vs_cce_study.json").write_text(json.dumps(meta, indent=2) + "\n")


def main(quick=False):
    start = time.perf_counter()
    if quick:
        rows = run({k: DATASETS[k] for k in ("iris", "wine")}, n_splits=2)
    else:
        rows = run()
    seconds = time.perf_counter() - start
    if not quick:
        _write(rows, seconds, quick)
    print(
        "| data set | model | mixup | accuracy BCE | accuracy CCE | wins BCE/CCE | "
        "log loss BCE | log loss CCE | wins BCE/CCE | ECE BCE | ECE CCE | "
        "wins BCE/CCE | converged BCE, CCE |"
    )
    print("|---" * 13 + "|")
    for s in summarise(rows):
        cells = [s["dataset"], s["model"], s["mixup"]]
        for metric in ("accuracy", "log_loss", "ece"):
            m = s[metric]
            cells += [
                f"{m['bce_mean']:.4f} ± {m['bce_std']:.4f}",
                f"{m['cce_mean']:.4f} ± {m['cce_std']:.4f}",
                f"{m['bce_wins']}/{m['cce_wins']}",
            ]
        n = s["n_splits"]
        cells.append(f"{s['converged']['bce']}/{n}, {s['converged']['cce']}/{n}")
        print("| " + " | ".join(cells) + " |")
    print(f"\n{len(rows)} fits in {seconds:.0f} s")


if __name__ == "__main__":
    main(quick="--quick" in sys.argv[1:])
