"""MixupTransformer and SoftLabelClassifier(mixup=...)."""

import subprocess
import sys
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy import stats
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_validate
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sksoftce import MixupTransformer, SoftLabelClassifier
from sksoftce._mixup import mix

X_IRIS, Y_IRIS = load_iris(return_X_y=True)
X_IRIS = StandardScaler().fit_transform(X_IRIS)
NAMES = np.array(["setosa", "versicolor", "virginica"])[Y_IRIS]


def one_hot(y):
    return np.eye(y.max() + 1)[y]


def _targets(kind, rng, n):
    if kind == "strings":
        return np.array(["b", "a", "c"])[rng.integers(3, size=n)], None
    if kind == "soft-binary":
        p = rng.uniform(size=n)
        return p, np.column_stack([1 - p, p])
    if kind == "soft-matrix":
        Y = rng.dirichlet(np.ones(4), size=n)
        return Y, Y
    if kind == "multilabel":
        Y = (rng.uniform(size=(n, 3)) > 0.5).astype(float)
        Y[0] = 0  # a row that does not sum to 1
        return Y, Y
    raise AssertionError(kind)


@pytest.mark.parametrize(
    "kind", ["strings", "soft-binary", "soft-matrix", "multilabel"]
)
@pytest.mark.parametrize("sparse", [False, True])
def test_mixed_rows_are_the_recorded_convex_combinations(kind, sparse):
    rng = np.random.default_rng(0)
    n = 30
    X = rng.normal(size=(n, 5))
    y, Y = _targets(kind, rng, n)
    if Y is None:  # hard labels: one-hot in sorted label order
        Y = (y[:, None] == np.array(["a", "b", "c"])).astype(float)
    mixup = MixupTransformer(alpha=0.4, n_samples=50, random_state=0)
    X_new, Y_new = mixup.fit_resample(sp.csr_matrix(X) if sparse else X, y)
    assert X_new.shape == (50, 5) and Y_new.shape == (50, Y.shape[1])
    assert sp.issparse(X_new) == sparse
    lam = mixup.lambdas_[:, None]
    i, j = mixup.pairs_.T
    np.testing.assert_allclose(Y_new, lam * Y[i] + (1 - lam) * Y[j], rtol=0, atol=1e-15)
    X_new = X_new.toarray() if sparse else X_new
    np.testing.assert_allclose(
        X_new, lam * X[i] + (1 - lam) * X[j], rtol=1e-14, atol=1e-15
    )
    if kind == "strings":
        np.testing.assert_array_equal(mixup.classes_, ["a", "b", "c"])


@pytest.mark.parametrize("alpha", [0.2, 1.0, 4.0])
def test_lambdas_follow_beta_alpha_alpha(alpha):
    X = np.zeros((1000, 1))
    y = np.arange(1000) % 2
    mixup = MixupTransformer(alpha=alpha, n_samples=4000, random_state=42)
    mixup.fit_resample(X, y)
    assert stats.kstest(mixup.lambdas_, "beta", args=(alpha, alpha)).pvalue > 0.01
    # The test has the power to tell a wrong alpha apart.
    assert (
        stats.kstest(mixup.lambdas_, "beta", args=(2 * alpha, 2 * alpha)).pvalue < 1e-4
    )


def test_n_samples_and_include_original():
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(40, 3)), np.arange(40) % 2
    assert MixupTransformer(n_samples=0.5, random_state=0).fit_resample(X, y)[
        0
    ].shape == (20, 3)
    assert MixupTransformer(n_samples=2.0, random_state=0).fit_resample(X, y)[
        0
    ].shape == (80, 3)
    assert MixupTransformer(n_samples=7, random_state=0).fit_resample(X, y)[
        0
    ].shape == (7, 3)
    X_new, Y_new = MixupTransformer(
        n_samples=10, include_original=True, random_state=0
    ).fit_resample(X, y)
    assert X_new.shape == (50, 3)
    np.testing.assert_array_equal(X_new[:40], X)
    np.testing.assert_array_equal(Y_new[:40], np.eye(2)[y])


def test_random_state_reproduces_and_none_varies():
    X, y = X_IRIS, Y_IRIS
    a = MixupTransformer(random_state=3).fit_resample(X, y)[0]
    b = MixupTransformer(random_state=3).fit_resample(X, y)[0]
    np.testing.assert_array_equal(a, b)
    free = MixupTransformer()
    assert not np.array_equal(free.fit_resample(X, y)[0], free.fit_resample(X, y)[0])


def test_sample_weights_set_how_often_rows_are_drawn():
    # Draw counts against the weights: a chi-square goodness-of-fit test at the 1%
    # level (a 1% false-failure rate over seeds; the seed is fixed).
    n = 6
    X = np.arange(n, dtype=float)[:, None]
    y = np.arange(n) % 2
    weights = np.array([0.0, 1.0, 2.0, 3.0, 0.0, 4.0])
    mixup = MixupTransformer(n_samples=20000, random_state=0)
    X_new, Y_new = mixup.fit_resample(X, y, sample_weight=weights)
    assert X_new.shape == (20000, 1) and Y_new.shape == (20000, 2)
    drawn = np.bincount(mixup.pairs_.ravel(), minlength=n)
    assert drawn[0] == drawn[4] == 0  # zero-weight rows are never mixed in
    expected = 2 * 20000 * weights / weights.sum()
    keep = weights > 0
    assert stats.chisquare(drawn[keep], expected[keep]).pvalue > 0.01


def test_mix_keeps_original_weights_and_gives_mixed_rows_the_mean_weight():
    # The classifier's route carries weights on: mix() returns them.
    n = 6
    X = np.arange(n, dtype=float)[:, None]
    weights = np.array([0.0, 1.0, 2.0, 3.0, 0.0, 4.0])
    _, _, w_new, _, _ = mix(
        X, one_hot(np.arange(n) % 2), weights, alpha=0.2, n_samples=50,
        include_original=True, random_state=0,
    )  # fmt: skip
    np.testing.assert_array_equal(w_new[:n], weights)  # originals keep their weights
    np.testing.assert_allclose(w_new[n:], weights.mean())  # mixed rows: the mean weight


@pytest.mark.parametrize("include_original", [False, True])
@pytest.mark.parametrize("value", [1.0, 2.5])
def test_equal_weights_equal_no_weights(include_original, value):
    mixup = MixupTransformer(include_original=include_original, random_state=0)
    X1, Y1 = mixup.fit_resample(X_IRIS, Y_IRIS)
    out = mixup.fit_resample(X_IRIS, Y_IRIS, sample_weight=np.full(150, value))
    assert len(out) == 2
    np.testing.assert_array_equal(out[0], X1)
    np.testing.assert_array_equal(out[1], Y1)


@pytest.mark.parametrize("huge", [1e308, np.finfo(np.float64).max])
def test_huge_equal_weights_draw_the_pairs_of_unit_weights(huge):
    # The sum of these weights overflows; the draw must not depend on it.
    mixup = MixupTransformer(n_samples=200, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no overflow on the way
        X_huge, Y_huge = mixup.fit_resample(
            X_IRIS, Y_IRIS, sample_weight=np.full(150, huge)
        )
        pairs_huge = mixup.pairs_
        X_one, Y_one = mixup.fit_resample(X_IRIS, Y_IRIS, sample_weight=np.ones(150))
    np.testing.assert_array_equal(pairs_huge, mixup.pairs_)
    np.testing.assert_array_equal(X_huge, X_one)
    np.testing.assert_array_equal(Y_huge, Y_one)
    assert len(np.unique(pairs_huge)) > 100  # not every pair from one row


def test_weights_scaled_by_a_power_of_two_draw_the_same_pairs():
    # Unequal weights whose sum overflows: the draw is that of the same weights
    # scaled down (a power of two scales exactly, so the pairs must be identical).
    weights = np.random.default_rng(0).uniform(0, 8, size=150)
    kwargs = dict(alpha=0.2, n_samples=300, include_original=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        big = mix(
            X_IRIS, one_hot(Y_IRIS), weights * 2.0**1020, random_state=1, **kwargs
        )
    small = mix(X_IRIS, one_hot(Y_IRIS), weights, random_state=1, **kwargs)
    np.testing.assert_array_equal(big[4], small[4])
    np.testing.assert_array_equal(big[0], small[0])
    assert np.all(np.isfinite(big[2]))
    np.testing.assert_allclose(big[2], small[2] * 2.0**1020, rtol=1e-15)


@pytest.mark.parametrize("bad", [np.inf, np.nan])
def test_mix_refuses_non_finite_weights(bad):
    weights = np.ones(150)
    weights[3] = bad
    with pytest.raises(ValueError, match="sample_weight"):
        mix(X_IRIS, one_hot(Y_IRIS), weights, alpha=0.2, n_samples=1.0,
            include_original=False, random_state=0)  # fmt: skip
    with pytest.raises(ValueError, match="sample_weight"):
        MixupTransformer().fit_resample(X_IRIS, Y_IRIS, sample_weight=weights)


# ---------------------------------------------------------- the classifier route
def test_classifier_mixup_keeps_string_labels():
    clf = SoftLabelClassifier(mixup=MixupTransformer(alpha=0.4, random_state=0))
    clf.fit(X_IRIS, NAMES)
    np.testing.assert_array_equal(clf.classes_, ["setosa", "versicolor", "virginica"])
    assert set(clf.predict(X_IRIS)) <= set(clf.classes_)
    assert clf.score(X_IRIS, NAMES) > 0.9


def test_classifier_mixup_with_a_scipy_solver_redraws_the_mixtures():
    # Two rounds of 5 L-BFGS-B iterations: the first on the first draw of the
    # mixtures, the second, from where the first stopped, on a second draw.
    mixup = MixupTransformer(alpha=0.4, random_state=0)
    with pytest.warns(ConvergenceWarning):
        with_mixup = SoftLabelClassifier(
            mixup=mixup, max_iter=10, mixup_redraw_every=5
        ).fit(X_IRIS, NAMES)
    rng = np.random.RandomState(0)
    draws = [
        mix(X_IRIS, one_hot(Y_IRIS), np.ones(150), alpha=0.4, n_samples=1.0,
            include_original=False, random_state=rng)[:2]
        for _ in range(2)
    ]  # fmt: skip
    assert not np.allclose(draws[0][1], draws[1][1])
    direct = SoftLabelClassifier(max_iter=5, warm_start=True)
    for X_mixed, Y_mixed in draws:
        with pytest.warns(ConvergenceWarning):
            direct.fit(X_mixed, Y_mixed)
    np.testing.assert_allclose(with_mixup.coef_, direct.coef_, rtol=1e-12, atol=1e-14)
    assert with_mixup.n_iter_ == 10
    assert not hasattr(mixup, "lambdas_")  # the parameter object is left untouched


def test_imblearn_pipeline_route_is_a_one_shot_resampler():
    imblearn_pipeline = pytest.importorskip("imblearn.pipeline")
    params = dict(hidden_layer_sizes=(6,), random_state=0, max_iter=300, tol=1e-6)
    classes = np.unique(NAMES)
    pipeline = imblearn_pipeline.Pipeline(
        [
            ("mixup", MixupTransformer(alpha=0.3, random_state=5)),
            ("clf", SoftLabelClassifier(classes=classes, **params)),
        ]
    )
    X_mixed, Y_mixed = MixupTransformer(alpha=0.3, random_state=5).fit_resample(
        X_IRIS, NAMES
    )
    with warnings.catch_warnings():
        # One fixed set of mixtures is memorised: the fit does not converge in 300
        # iterations, in the pipeline and directly alike.
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipeline.fit(X_IRIS, NAMES)
        direct = SoftLabelClassifier(classes=classes, **params).fit(X_mixed, Y_mixed)
    for a, b in zip(pipeline[-1].coefs_, direct.coefs_, strict=True):
        np.testing.assert_array_equal(a, b)
    # predict and score skip the sampler: the pipeline scores the original rows.
    np.testing.assert_array_equal(pipeline.predict(X_IRIS), direct.predict(X_IRIS))
    assert pipeline.score(X_IRIS, NAMES) == direct.score(X_IRIS, NAMES)


def test_plain_sklearn_pipeline_step_fails_loudly():
    pipe = Pipeline([("mixup", MixupTransformer()), ("clf", SoftLabelClassifier())])
    with pytest.raises(TypeError, match="should be transformers"):
        pipe.fit(X_IRIS, Y_IRIS)


def test_imblearn_is_not_imported_by_the_package():
    code = (
        "import sys, numpy as np;"
        "from sksoftce import SoftLabelClassifier, MixupTransformer;"
        "X = np.random.default_rng(0).normal(size=(30, 2)); y = np.arange(30) % 2;"
        "SoftLabelClassifier(mixup=MixupTransformer(random_state=0)).fit(X, y);"
        "MixupTransformer().fit_resample(X, y, sample_weight=np.ones(30));"
        "from sklearn.utils import get_tags; get_tags(MixupTransformer());"
        "print('imblearn' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


class _RowCounter(SoftLabelClassifier):
    """Records every X that reaches prediction."""

    seen = []

    def _logits(self, X):
        _RowCounter.seen.append(np.asarray(X).copy())
        return super()._logits(X)


def test_no_augmented_row_reaches_predict_or_score_in_cross_validate():
    _RowCounter.seen.clear()
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    clf = _RowCounter(
        mixup=MixupTransformer(alpha=1.0, n_samples=3.0, random_state=0), max_iter=10
    )
    # Which rows reach predict and score is the point, not the fit: 10 iterations.
    with pytest.warns(ConvergenceWarning):
        cross_validate(clf, X_IRIS, NAMES, cv=cv, scoring=["accuracy", "neg_log_loss"])
    test_sizes = [len(test) for _, test in cv.split(X_IRIS, NAMES)]
    assert sorted({len(x) for x in _RowCounter.seen}) == sorted(set(test_sizes))
    originals = {row.tobytes() for row in X_IRIS}
    for batch in _RowCounter.seen:
        assert all(row.tobytes() in originals for row in batch)


def test_grid_search_over_mixup_and_loss_with_string_labels():
    pipe = Pipeline(
        [
            ("scale", StandardScaler()),
            ("clf", SoftLabelClassifier(mixup=MixupTransformer(random_state=0))),
        ]
    )
    grid = {"clf__mixup__alpha": [0.1, 1.0], "clf__loss": ["cce", "bce"]}
    search = GridSearchCV(pipe, grid, cv=3).fit(X_IRIS, NAMES)
    assert set(search.cv_results_["param_clf__mixup__alpha"]) == {0.1, 1.0}
    predicted = search.predict(X_IRIS)
    assert predicted.dtype.kind == "U" and (predicted == NAMES).mean() > 0.8
    assert search.best_score_ > 0.8


@pytest.mark.parametrize(
    "params, match",
    [
        ({"alpha": 0.0}, "'alpha' parameter"),
        ({"alpha": -1.0}, "'alpha' parameter"),
        ({"n_samples": 0}, "'n_samples' parameter"),
        ({"n_samples": -0.5}, "'n_samples' parameter"),
        ({"include_original": "yes"}, "'include_original' parameter"),
    ],
)
def test_bad_parameters(params, match):
    with pytest.raises(ValueError, match=match):
        MixupTransformer(**params).fit_resample(X_IRIS, Y_IRIS)
    with pytest.raises(ValueError, match=match):
        SoftLabelClassifier(mixup=MixupTransformer(**params)).fit(X_IRIS, Y_IRIS)


def test_y_of_the_wrong_length():
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        MixupTransformer().fit_resample(X_IRIS, Y_IRIS[:-1])


def test_mixup_parameter_must_be_a_mixup_transformer():
    with pytest.raises(ValueError, match="'mixup' parameter"):
        SoftLabelClassifier(mixup="mixup").fit(X_IRIS, Y_IRIS)
