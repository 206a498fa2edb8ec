"""scikit-learn's estimator checks for every public estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sksoftce import SoftLabelClassifier

ESTIMATORS = [
    SoftLabelClassifier(),
    SoftLabelClassifier(loss="bce"),
    SoftLabelClassifier(hidden_layer_sizes=(16,), random_state=0),
    SoftLabelClassifier(
        loss="bce", hidden_layer_sizes=(16, 8), activation="tanh", random_state=0
    ),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
