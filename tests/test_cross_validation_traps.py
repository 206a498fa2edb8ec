"""Where this package's code can see a cross-validation trap on soft targets, it says so.

The scorers that sksoftce.metrics.get_scorer returns for scikit-learn's hard-label
names refuse soft targets with a message naming the soft-label scorer, instead of
the NaN scores a search would record; an unknown name lists the soft-label scorers.
SoftStratifiedKFold, the recipe, keeps every class in every fold on sorted rows.
"""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.metrics import get_scorer as sklearn_get_scorer
from sklearn.model_selection import GridSearchCV, cross_val_score

from sksoftce import SoftLabelClassifier
from sksoftce.metrics import get_scorer, get_scorer_names
from sksoftce.model_selection import SoftStratifiedKFold


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return X, y, 0.9 * np.eye(3)[y] + 0.1 / 3


@pytest.fixture(scope="module")
def fitted(iris):
    X, y, _ = iris
    return SoftLabelClassifier().fit(X, y)


@pytest.mark.parametrize(
    ("name", "soft_name"),
    [
        ("neg_log_loss", "neg_soft_log_loss"),
        ("neg_brier_score", "neg_soft_brier_score"),
        ("accuracy", "soft_accuracy"),
    ],
)
def test_hard_label_scorer_refuses_soft_targets_naming_the_soft_scorer(
    iris, fitted, name, soft_name
):
    X, _, Y = iris
    with pytest.raises(ValueError, match=f"get_scorer\\('{soft_name}'\\)"):
        get_scorer(name)(fitted, X, Y)


@pytest.mark.parametrize("name", ["neg_log_loss", "neg_brier_score", "accuracy"])
def test_hard_label_scorer_scores_hard_labels_as_scikit_learn(iris, fitted, name):
    X, y, _ = iris
    assert get_scorer(name)(fitted, X, y) == sklearn_get_scorer(name)(fitted, X, y)


def test_hard_label_scorer_refuses_soft_binary_vector(iris):
    X, y, _ = iris
    binary = (y == 0).astype(int)
    clf = SoftLabelClassifier().fit(X, binary)
    with pytest.raises(ValueError, match="neg_soft_log_loss"):
        get_scorer("neg_log_loss")(clf, X, np.where(binary == 1, 0.8, 0.2))


def test_search_with_hard_label_scorer_warns_with_the_hint(iris):
    X, _, Y = iris
    search = GridSearchCV(
        SoftLabelClassifier(),
        {"alpha": [1.0, 0.1]},
        cv=SoftStratifiedKFold(3, shuffle=True, random_state=0),
        scoring=get_scorer("neg_log_loss"),
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        search.fit(X, Y)
    assert np.isnan(search.cv_results_["mean_test_score"]).all()
    messages = [str(w.message) for w in caught]
    assert any("get_scorer('neg_soft_log_loss')" in m for m in messages)


def test_search_with_soft_scorer_ranks_the_candidates(iris):
    X, _, Y = iris
    search = GridSearchCV(
        SoftLabelClassifier(),
        {"alpha": [1e3, 1.0]},
        cv=SoftStratifiedKFold(3, shuffle=True, random_state=0),
        scoring=get_scorer("neg_soft_log_loss"),
    ).fit(X, Y)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.best_params_ == {"alpha": 1.0}  # not the first candidate


def test_unknown_scorer_name_lists_the_soft_label_scorers():
    with pytest.raises(ValueError) as info:
        get_scorer("soft_log_loss")
    for name in get_scorer_names():
        assert name in str(info.value)


def test_soft_stratified_folds_hold_every_class_on_sorted_rows(iris):
    X, y, Y = iris  # iris rows are sorted by class
    for _, test in SoftStratifiedKFold(5).split(X, Y):
        assert np.array_equal(np.bincount(y[test]), [10, 10, 10])


def test_recipe_scores_sorted_soft_targets(iris):
    X, _, Y = iris
    scores = cross_val_score(
        SoftLabelClassifier(),
        X,
        Y,
        cv=SoftStratifiedKFold(5, shuffle=True, random_state=0),
        scoring=get_scorer("soft_accuracy"),
    )
    assert scores.min() > 0.85


def _sorted_soft_digits():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    order = np.argsort(y, kind="stable")
    X, y = X[order] / 16, y[order]
    return X, y, 0.9 * np.eye(10)[y] + 0.01


def test_soft_scorer_warns_on_folds_of_rows_sorted_by_class():
    X, _, Y = _sorted_soft_digits()
    with pytest.warns(UserWarning, match="SoftStratifiedKFold") as record:
        cross_val_score(
            SoftLabelClassifier(), X, Y, cv=5, scoring=get_scorer("soft_accuracy")
        )
    messages = [
        str(w.message) for w in record if "SoftStratifiedKFold" in str(w.message)
    ]
    assert len(messages) == 5  # one per fold
    assert "only 2 of the model's 10 classes" in messages[0]


def test_soft_scorer_is_silent_on_stratified_folds():
    X, _, Y = _sorted_soft_digits()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cross_val_score(
            SoftLabelClassifier(),
            X,
            Y,
            cv=SoftStratifiedKFold(5, shuffle=True, random_state=0),
            scoring=get_scorer("soft_accuracy"),
        )


def test_soft_scorer_is_silent_on_few_rows(iris, fitted):
    X, y, _ = iris
    rows = np.flatnonzero(y == 0)[:14]  # fewer than 5 rows per class of 3
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        get_scorer("neg_soft_log_loss")(fitted, X[rows], y[rows])


def test_soft_scorer_is_silent_for_binary_models(iris):
    X, y, _ = iris
    binary = (y == 0).astype(int)
    clf = SoftLabelClassifier().fit(X, binary)
    rows = np.flatnonzero(binary == 0)  # 100 rows of one class
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        get_scorer("neg_soft_log_loss")(clf, X[rows], binary[rows])
