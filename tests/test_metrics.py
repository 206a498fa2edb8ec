"""Soft-label metrics, scorers and the stratified splitter."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_iris
from sklearn.metrics import accuracy_score, brier_score_loss, log_loss
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    PredefinedSplit,
    RandomizedSearchCV,
    StratifiedKFold,
    cross_validate,
)
from sklearn.preprocessing import StandardScaler

from sksoftce import SoftLabelClassifier
from sksoftce.metrics import (
    expected_calibration_error,
    get_scorer,
    get_scorer_names,
    kl_divergence,
    soft_accuracy_score,
    soft_brier_score,
    soft_log_loss,
)
from sksoftce.model_selection import SoftStratifiedKFold

METRICS = [
    soft_log_loss,
    kl_divergence,
    soft_brier_score,
    soft_accuracy_score,
    expected_calibration_error,
]
X_IRIS, Y_IRIS = load_iris(return_X_y=True)
X_IRIS = StandardScaler().fit_transform(X_IRIS)


def _random_case(rng, n=50, K=4):
    T = rng.dirichlet(np.ones(K), size=n)
    P = rng.dirichlet(np.ones(K), size=n)
    w = rng.uniform(0.1, 2.0, size=n)
    return T, P, w


# ----------------------------------------------------------- hand-checked cases
def test_hand_checked_single_label_values():
    T = np.array([[0.5, 0.5, 0.0], [0.0, 0.2, 0.8]])
    P = np.array([[0.25, 0.5, 0.25], [0.1, 0.1, 0.8]])
    w = np.array([1.0, 3.0])
    # log loss rows: -(.5 ln .25 + .5 ln .5) = 1.0397208;
    #                -(.2 ln .1 + .8 ln .8) = 0.6390319
    assert soft_log_loss(T, P, sample_weight=w) == pytest.approx(
        (1.0397208 + 3 * 0.6390319) / 4, rel=1e-6
    )
    # entropies: ln 2 = 0.6931472; -(.2 ln .2 + .8 ln .8) = 0.5004024
    assert kl_divergence(T, P, sample_weight=w) == pytest.approx(
        ((1.0397208 - 0.6931472) + 3 * (0.6390319 - 0.5004024)) / 4, rel=1e-6
    )
    # Brier rows: .0625 + 0 + .0625 = 0.125; .01 + .01 + 0 = 0.02
    assert soft_brier_score(T, P, sample_weight=w) == pytest.approx(
        (0.125 + 3 * 0.02) / 4
    )
    # argmax: T row 0 ties at class 0 (first), P row 0 says class 1: wrong; row 1 right
    assert soft_accuracy_score(T, P, sample_weight=w) == pytest.approx(0.75)


def test_hand_checked_multilabel_values():
    T = np.array([[1.0, 0.0], [1.0, 1.0]])  # rows do not all sum to 1: multi-label
    P = np.array([[0.8, 0.4], [0.6, 0.3]])
    # label 0: t = 1, 1 and p = .8, .6; label 1: t = 0, 1 and p = .4, .3
    per_label = [-(np.log(0.8) + np.log(0.6)) / 2, -(np.log(0.6) + np.log(0.3)) / 2]
    assert soft_log_loss(T, P) == pytest.approx(np.mean(per_label), rel=1e-12)
    assert kl_divergence(T, P) == pytest.approx(
        np.mean(per_label), rel=1e-12
    )  # H(T) = 0
    # Brier per label: (.04 + .16)/2 = .1, (.16 + .49)/2 = .325
    assert soft_brier_score(T, P) == pytest.approx((0.1 + 0.325) / 2)
    # subset accuracy: row 0 predicts [1, 0] (right), row 1 [1, 0] (wrong)
    assert soft_accuracy_score(T, P) == pytest.approx(0.5)


def test_hand_checked_calibration_error():
    y_true = np.array([0, 1, 1, 0, 1])
    P = np.array([[0.9, 0.1], [0.3, 0.7], [0.55, 0.45], [0.35, 0.65], [0.2, 0.8]])
    # confidences .9 .7 .55 .65 .8; right 1 1 0 0 1
    # 2 uniform bins: all above .5 -> |3/5 - 3.6/5| = 0.12
    assert expected_calibration_error(y_true, P, n_bins=2) == pytest.approx(0.12)
    # 4 bins (.5,.75] holds .7 .55 .65 (right 1 0 0): |1/3 - 1.9/3| * 3/5 = 0.18
    # (.75, 1] holds .9 .8 (right 1 1): |1 - .85| * 2/5 = 0.06
    assert expected_calibration_error(y_true, P, n_bins=4) == pytest.approx(0.24)


# ------------------------------------------------------ against direct NumPy
def _reference_ece(T, P, w, n_bins, strategy):
    conf, pred = P.max(axis=1), P.argmax(axis=1)
    right = T[np.arange(len(T)), pred]
    if strategy == "uniform":
        edges = np.linspace(0, 1, n_bins + 1)
    else:
        edges = np.quantile(conf, np.linspace(0, 1, n_bins + 1))
        edges[0] = -np.inf
    total = 0.0
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        inside = (
            (conf > lo) & (conf <= hi)
            if strategy == "uniform" or lo > -np.inf
            else conf <= hi
        )
        if inside.any():
            wb = w[inside]
            gap = np.average(right[inside], weights=wb) - np.average(
                conf[inside], weights=wb
            )
            total += wb.sum() / w.sum() * abs(gap)
    return total


@pytest.mark.parametrize("seed", range(5))
def test_metrics_match_direct_computation_on_random_cases(seed):
    rng = np.random.default_rng(seed)
    T, P, w = _random_case(rng)
    W = w / w.sum()
    assert soft_log_loss(T, P, sample_weight=w) == pytest.approx(
        W @ -(T * np.log(P)).sum(1)
    )
    assert kl_divergence(T, P, sample_weight=w) == pytest.approx(
        W @ (T * np.log(T / P)).sum(1)
    )
    assert soft_brier_score(T, P, sample_weight=w) == pytest.approx(
        W @ ((P - T) ** 2).sum(1)
    )
    assert soft_accuracy_score(T, P, sample_weight=w) == pytest.approx(
        W @ (P.argmax(1) == T.argmax(1))
    )
    for strategy in ["uniform", "quantile"]:
        assert expected_calibration_error(
            T, P, sample_weight=w, n_bins=7, strategy=strategy
        ) == pytest.approx(_reference_ece(T, P, w, 7, strategy))


@pytest.mark.parametrize("seed", range(3))
def test_multilabel_metrics_are_per_label_averages(seed):
    rng = np.random.default_rng(seed)
    T = rng.uniform(size=(40, 3))
    P = rng.uniform(0.01, 0.99, size=(40, 3))
    w = rng.uniform(0.5, 2, size=40)
    for metric in [
        soft_log_loss,
        kl_divergence,
        soft_brier_score,
        expected_calibration_error,
    ]:
        per_label = [metric(T[:, k], P[:, k], sample_weight=w) for k in range(3)]
        assert metric(T, P, sample_weight=w) == pytest.approx(
            np.mean(per_label), rel=1e-12
        )


# ------------------------------------------------------ against scikit-learn
@pytest.mark.parametrize("K", [2, 3, 5])
def test_soft_log_loss_equals_sklearn_log_loss_on_hard_labels(K):
    rng = np.random.default_rng(K)
    labels = np.array(list("abcde"))[:K]
    y = labels[rng.integers(K, size=60)]
    P = rng.dirichlet(np.ones(K), size=60)
    P[0] = np.eye(K)[0]  # exact 0 and 1: the clipping must agree too
    w = rng.uniform(0.5, 2, size=60)
    assert soft_log_loss(y, P, sample_weight=w) == pytest.approx(
        log_loss(y, P, sample_weight=w), rel=1e-12
    )
    assert soft_log_loss(y, P, labels=labels) == pytest.approx(
        log_loss(y, P, labels=labels), rel=1e-12
    )
    if K == 2:
        assert soft_log_loss(y, P[:, 1]) == pytest.approx(
            log_loss(y, P[:, 1]), rel=1e-12
        )


@pytest.mark.parametrize("K", [2, 4])
def test_brier_and_accuracy_match_sklearn_on_hard_labels(K):
    rng = np.random.default_rng(K)
    y = rng.integers(K, size=80)
    P = rng.dirichlet(np.ones(K), size=80)
    assert soft_brier_score(y, P) == pytest.approx(
        brier_score_loss(y, P if K > 2 else P[:, 1])
    )
    assert soft_accuracy_score(y, P) == pytest.approx(accuracy_score(y, P.argmax(1)))


def test_subset_accuracy_matches_sklearn_on_indicators():
    rng = np.random.default_rng(0)
    Y = (rng.uniform(size=(50, 3)) > 0.5).astype(int)
    P = rng.uniform(size=(50, 3))
    assert soft_accuracy_score(Y, P, multilabel=True) == pytest.approx(
        accuracy_score(Y, (P > 0.5).astype(int))
    )


# -------------------------------------------------------------- properties
def test_kl_is_zero_exactly_when_predictions_equal_targets():
    rng = np.random.default_rng(0)
    T, P, _ = _random_case(rng)
    assert kl_divergence(T, T) == 0.0
    assert kl_divergence(np.eye(4)[[0, 2, 3]], np.eye(4)[[0, 2, 3]]) == 0.0
    assert kl_divergence(T, P) > 0.0
    assert kl_divergence(T, 0.999 * T + 0.001 / 4) > 0.0
    M = rng.uniform(0.05, 0.95, size=(30, 3))
    assert kl_divergence(M, M, multilabel=True) == 0.0


@pytest.mark.parametrize("metric", [soft_log_loss, soft_brier_score])
def test_log_loss_and_brier_are_proper(metric):
    """Sampled labels are scored best by the distribution they were drawn from."""
    rng = np.random.default_rng(0)
    n, K = 20000, 3
    q = np.array([0.6, 0.3, 0.1])
    y = rng.choice(K, size=n, p=q)
    truth = metric(y, np.tile(q, (n, 1)), labels=np.arange(K))
    for other in ([0.5, 0.35, 0.15], [0.7, 0.2, 0.1], [1 / 3] * 3, [0.6, 0.2, 0.2]):
        assert truth < metric(y, np.tile(other, (n, 1)), labels=np.arange(K))


# ----------------------------------------------------------------- scorers
def _soft_iris(seed=0):
    noise = np.random.default_rng(seed).dirichlet(np.ones(3), size=150)
    return 0.7 * np.eye(3)[Y_IRIS] + 0.3 * noise


@pytest.mark.parametrize("targets", ["hard", "soft"])
def test_scorers_equal_the_metrics_on_the_same_folds(targets):
    y = Y_IRIS if targets == "hard" else _soft_iris()
    cv = list(KFold(4, shuffle=True, random_state=0).split(X_IRIS))
    metrics = {
        "neg_soft_log_loss": (soft_log_loss, -1),
        "neg_kl_divergence": (kl_divergence, -1),
        "neg_soft_brier_score": (soft_brier_score, -1),
        "soft_accuracy": (soft_accuracy_score, 1),
        "neg_expected_calibration_error": (expected_calibration_error, -1),
    }
    scoring = {name: get_scorer(name) for name in metrics}
    estimator = SoftLabelClassifier(loss="bce")
    search = GridSearchCV(
        estimator, {"alpha": [0.5]}, cv=cv, scoring=scoring, refit=False
    )
    search.fit(X_IRIS, y)
    for k, (train, test) in enumerate(cv):
        fitted = clone(estimator).set_params(alpha=0.5).fit(X_IRIS[train], y[train])
        proba = fitted.predict_proba(X_IRIS[test])
        for name, (metric, sign) in metrics.items():
            expected = sign * metric(y[test], proba)
            assert search.cv_results_[f"split{k}_test_{name}"][0] == pytest.approx(
                expected
            )


def test_scorer_aligns_columns_when_a_fold_lacks_a_class():
    test_fold = np.where(
        Y_IRIS == 2, -1, np.arange(150) % 2
    )  # class 2 only in training
    cv = PredefinedSplit(test_fold)
    result = cross_validate(
        SoftLabelClassifier(),
        X_IRIS,
        Y_IRIS,
        cv=cv,
        scoring={
            "ll": get_scorer("neg_soft_log_loss"),
            "acc": get_scorer("soft_accuracy"),
        },
    )
    for k, (train, test) in enumerate(cv.split()):
        fitted = SoftLabelClassifier().fit(X_IRIS[train], Y_IRIS[train])
        expected = soft_log_loss(
            Y_IRIS[test], fitted.predict_proba(X_IRIS[test]), labels=[0, 1, 2]
        )
        assert result["test_ll"][k] == pytest.approx(-expected)
        accuracy = soft_accuracy_score(
            Y_IRIS[test], fitted.predict_proba(X_IRIS[test]), labels=[0, 1, 2]
        )
        assert result["test_acc"][k] == pytest.approx(accuracy)


def test_scorers_with_string_labels_and_sample_weight():
    names = np.array(["x", "y", "z"])[Y_IRIS]
    w = np.random.default_rng(0).uniform(0.5, 2, size=150)
    clf = SoftLabelClassifier().fit(X_IRIS, names)
    scorer = get_scorer("neg_soft_log_loss")
    assert scorer(clf, X_IRIS, names, sample_weight=w) == pytest.approx(
        -log_loss(names, clf.predict_proba(X_IRIS), sample_weight=w)
    )


def test_scoring_alone_in_a_dict_and_in_a_list():
    y = _soft_iris()
    cv = SoftStratifiedKFold(3, shuffle=True, random_state=0)
    alone = cross_validate(
        SoftLabelClassifier(), X_IRIS, y, cv=cv, scoring=get_scorer("soft_accuracy")
    )
    as_dict = cross_validate(
        SoftLabelClassifier(),
        X_IRIS,
        y,
        cv=cv,
        scoring={"acc": get_scorer("soft_accuracy")},
    )
    np.testing.assert_allclose(alone["test_score"], as_dict["test_acc"])
    # scikit-learn takes only its own names in a list: get_scorer makes ours a dict.
    as_list = cross_validate(
        SoftLabelClassifier(),
        X_IRIS,
        y,
        cv=cv,
        scoring=get_scorer(["soft_accuracy", "neg_soft_log_loss"]),
    )
    np.testing.assert_allclose(as_list["test_soft_accuracy"], as_dict["test_acc"])
    search = RandomizedSearchCV(
        SoftLabelClassifier(),
        {"alpha": [0.1, 1.0, 10.0]},
        n_iter=2,
        cv=cv,
        random_state=0,
        scoring=get_scorer(get_scorer_names()),
        refit="neg_soft_log_loss",
    ).fit(X_IRIS, y)
    best = SoftLabelClassifier(**search.best_params_)
    losses = [
        soft_log_loss(
            y[test],
            clone(best).fit(X_IRIS[train], y[train]).predict_proba(X_IRIS[test]),
        )
        for train, test in cv.split(X_IRIS, y)
    ]
    assert search.best_score_ == pytest.approx(-np.mean(losses))


def test_get_scorer_falls_back_to_sklearn_and_rejects_unknown_names():
    assert (
        get_scorer("accuracy")(
            SoftLabelClassifier().fit(X_IRIS, Y_IRIS), X_IRIS, Y_IRIS
        )
        > 0.9
    )
    with pytest.raises(ValueError, match="not a valid scoring value"):
        get_scorer("soft_nonsense")


# --------------------------------------------------------------- bad input
@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize(
    "y_true, y_pred, match",
    [
        (
            [0, 1, 2],
            [[0.5, 0.5], [0.5, 0.5], [0.5, 0.5]],
            r"y_pred of shape \(3, 2\) does not match",
        ),
        (
            [0, 1],
            [[0.5, 0.5], [0.5, 0.5], [0.5, 0.5]],
            "inconsistent numbers of samples|does not match",
        ),
        (
            [0, 1],
            [[1.5, -0.5], [0.5, 0.5]],
            r"y_pred must be probabilities in \[0, 1\]",
        ),
        ([0, 1], [[np.nan, 0.5], [0.5, 0.5]], "Input y_pred contains NaN"),
        ([0.2, np.nan], [[0.5, 0.5], [0.5, 0.5]], "Input y_true contains NaN"),
        ([0, 1], [[0.3, 0.3], [0.5, 0.5]], "rows of y_pred must sum to 1"),
        (
            [[1.2, -0.2], [0.5, 0.5]],
            [[0.5, 0.5], [0.5, 0.5]],
            r"probabilities in \[0, 1\]",
        ),
    ],
)
def test_bad_metric_input(metric, y_true, y_pred, match):
    with pytest.raises(ValueError, match=match):
        metric(y_true, y_pred)


def test_bad_metric_parameters():
    with pytest.raises(ValueError, match="'n_bins' parameter"):
        expected_calibration_error([0, 1], [[0.5, 0.5], [0.5, 0.5]], n_bins=0)
    with pytest.raises(ValueError, match="'strategy' parameter"):
        expected_calibration_error([0, 1], [[0.5, 0.5], [0.5, 0.5]], strategy="equal")


# ---------------------------------------------------------------- splitter
def test_soft_stratified_kfold_keeps_argmax_class_balance():
    y = _soft_iris()
    splitter = SoftStratifiedKFold(5, shuffle=True, random_state=0)
    for _, test in splitter.split(X_IRIS, y):
        counts = np.bincount(y[test].argmax(axis=1), minlength=3)
        assert counts.max() - counts.min() <= 1
    hard = list(StratifiedKFold(5, shuffle=True, random_state=0).split(X_IRIS, Y_IRIS))
    ours = list(splitter.split(X_IRIS, Y_IRIS))
    assert len(ours) == splitter.get_n_splits() == 5
    for (a, b), (c, d) in zip(hard, ours, strict=True):
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, d)
