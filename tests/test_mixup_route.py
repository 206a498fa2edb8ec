"""MixupTransformer on the imbalanced-learn route: a sampler, and its sample weights.

Weights reach ``fit_resample`` through metadata routing only; there they set how
often each row is drawn into a pair, and the mixed rows come out unweighted.
"""

import subprocess
import sys

import numpy as np
import pytest
import sklearn
from scipy import stats
from sklearn.datasets import load_iris
from sklearn.preprocessing import StandardScaler
from sklearn.utils import get_tags

from sksoftce import MixupTransformer, SoftLabelClassifier

imblearn_base = pytest.importorskip("imblearn.base")
imblearn_pipeline = pytest.importorskip("imblearn.pipeline")

X_IRIS, Y_IRIS = load_iris(return_X_y=True)
X_IRIS = StandardScaler().fit_transform(X_IRIS)
CLASSES = np.array([0, 1, 2])
# virginica weighs 5, the other rows 1; two rows weigh 0.
WEIGHTS = np.where(Y_IRIS == 2, 5.0, 1.0)
WEIGHTS[[0, 60]] = 0.0
N_MIXED = 3000  # 6000 draws: 17 expected per row of weight 1, 86 of weight 5


def _pipeline(mixup, clf=None):
    clf = SoftLabelClassifier(classes=CLASSES) if clf is None else clf
    return imblearn_pipeline.Pipeline([("mixup", mixup), ("clf", clf)])


def _draw_counts(mixup):
    return np.bincount(mixup.pairs_.ravel(), minlength=len(X_IRIS))


def _chisquare_pvalue(counts, weights):
    keep = weights > 0
    expected = counts.sum() * weights[keep] / weights[keep].sum()
    return stats.chisquare(counts[keep], expected).pvalue


# ------------------------------------------------------------------ a sampler
def test_mixup_transformer_is_a_sampler():
    mixup = MixupTransformer()
    assert imblearn_base.is_sampler(mixup)
    tags = get_tags(mixup)
    assert tags.estimator_type == "sampler"
    assert tags.sampler_tags is not None and tags.sampler_tags.sample_indices is False
    assert tags.transformer_tags is None and tags.classifier_tags is None
    assert tags.target_tags.required and tags.input_tags.sparse


def test_fit_resample_returns_two_arrays_also_with_weights():
    out = MixupTransformer(random_state=0).fit_resample(
        X_IRIS, Y_IRIS, sample_weight=WEIGHTS
    )
    assert len(out) == 2
    assert out[0].shape == (150, 4) and out[1].shape == (150, 3)


# ------------------------------------------------------- with metadata routing
def test_routed_weights_reach_fit_resample_and_set_the_draw_frequencies():
    # Pairs are drawn in proportion to the weights: per-row draw counts pass a
    # chi-square goodness-of-fit test at the 0.1% level (a 0.1% false-failure rate
    # over seeds; the seed is fixed), and the test has the power to reject the
    # unweighted draw.
    with sklearn.config_context(enable_metadata_routing=True):
        mixup = MixupTransformer(n_samples=N_MIXED, random_state=0)
        mixup.set_fit_resample_request(sample_weight=True)
        clf = SoftLabelClassifier(classes=CLASSES).set_fit_request(sample_weight=False)
        pipeline = _pipeline(mixup, clf).fit(X_IRIS, Y_IRIS, sample_weight=WEIGHTS)
    fitted = pipeline.named_steps["mixup"]
    counts = _draw_counts(fitted)
    assert counts[0] == counts[60] == 0  # zero-weight rows are never drawn
    assert _chisquare_pvalue(counts, WEIGHTS) > 1e-3
    assert _chisquare_pvalue(counts, np.ones(150)) < 1e-6
    # The pipeline equals fit_resample with the weights, then an unweighted fit.
    direct = MixupTransformer(n_samples=N_MIXED, random_state=0)
    X_mixed, Y_mixed = direct.fit_resample(X_IRIS, Y_IRIS, sample_weight=WEIGHTS)
    np.testing.assert_array_equal(fitted.pairs_, direct.pairs_)
    reference = SoftLabelClassifier(classes=CLASSES).fit(X_mixed, Y_mixed)
    np.testing.assert_array_equal(pipeline[-1].coef_, reference.coef_)


def test_unset_request_asks_for_set_fit_resample_request():
    with sklearn.config_context(enable_metadata_routing=True):
        clf = SoftLabelClassifier(classes=CLASSES).set_fit_request(sample_weight=False)
        pipeline = _pipeline(MixupTransformer(random_state=0), clf)
        with pytest.raises(
            ValueError, match=r"MixupTransformer\.set_fit_resample_request"
        ):
            pipeline.fit(X_IRIS, Y_IRIS, sample_weight=WEIGHTS)


def test_weights_declined_by_every_step_are_refused():
    # With routing, weights are never dropped silently: if no step takes them,
    # scikit-learn's routing refuses the call.
    with sklearn.config_context(enable_metadata_routing=True):
        mixup = MixupTransformer(random_state=0)
        mixup.set_fit_resample_request(sample_weight=False)
        clf = SoftLabelClassifier(classes=CLASSES).set_fit_request(sample_weight=False)
        with pytest.raises(TypeError, match="not routed to any object"):
            _pipeline(mixup, clf).fit(X_IRIS, Y_IRIS, sample_weight=WEIGHTS)


def test_set_fit_resample_request_needs_routing_enabled():
    with sklearn.config_context(enable_metadata_routing=False):
        with pytest.raises(RuntimeError, match="enable_metadata_routing"):
            MixupTransformer().set_fit_resample_request(sample_weight=True)


def test_set_fit_resample_request_exists_when_sksoftce_is_imported_first():
    # sklearn makes set_<method>_request only for the methods it knows when the class
    # is defined; imbalanced-learn adds fit_resample to them on import.
    code = (
        "import numpy as np, sklearn; from sksoftce import MixupTransformer, "
        "SoftLabelClassifier; from imblearn.pipeline import Pipeline;"
        "sklearn.set_config(enable_metadata_routing=True);"
        "X = np.random.default_rng(0).normal(size=(40, 2)); y = np.arange(40) % 2;"
        "w = np.r_[np.zeros(20), np.ones(20)];"
        "m = MixupTransformer(random_state=0);"
        "m.set_fit_resample_request(sample_weight=True);"
        "c = SoftLabelClassifier(classes=[0, 1]).set_fit_request(sample_weight=False);"
        "Pipeline([('mixup', m), ('clf', c)]).fit(X, y, sample_weight=w);"
        "print(int(m.pairs_.min()))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "20"  # only the rows of weight 1 were drawn


def test_set_fit_resample_request_without_imblearn_says_what_is_missing():
    code = (
        "import sys; sys.modules['imblearn'] = None;"  # makes `import imblearn` fail
        "import sklearn; from sksoftce import MixupTransformer;"
        "sklearn.set_config(enable_metadata_routing=True);"
        "MixupTransformer().set_fit_resample_request(sample_weight=True)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode != 0
    assert "ImportError" in out.stderr and "imbalanced-learn" in out.stderr


# ------------------------------------------------------- without metadata routing
def test_without_routing_imblearn_drops_step_weights_for_fit_resample():
    # What happens, documented: imbalanced-learn without metadata routing hands
    # `mixup__sample_weight` to the step's `fit`, never to `fit_resample`, so the
    # draw is unweighted. Enable metadata routing to use weights on this route.
    mixup = MixupTransformer(n_samples=N_MIXED, random_state=0)
    with sklearn.config_context(enable_metadata_routing=False):
        _pipeline(mixup).fit(X_IRIS, Y_IRIS, mixup__sample_weight=WEIGHTS)
    unweighted = MixupTransformer(n_samples=N_MIXED, random_state=0)
    unweighted.fit_resample(X_IRIS, Y_IRIS)
    np.testing.assert_array_equal(mixup.pairs_, unweighted.pairs_)


def test_classifier_step_weights_do_not_fit_a_different_number_of_mixed_rows():
    # Weights of the original rows given to the classifier after the mixup step
    # cannot be matched to mixed rows; with as many mixed rows as originals they are
    # not detected (documented in the user guide), with another number they fail.
    pipeline = _pipeline(MixupTransformer(n_samples=2.0, random_state=0))
    with pytest.raises(ValueError, match="sample_weight"):
        pipeline.fit(X_IRIS, Y_IRIS, clf__sample_weight=WEIGHTS)


# --------------------------------------------------------- include_original
@pytest.mark.parametrize(
    "weights", [WEIGHTS, np.linspace(1.0, 2.0, 150)], ids=["with-zeros", "positive"]
)
def test_include_original_with_unequal_weights_raises_before_mixing(weights):
    rng = np.random.RandomState(0)
    state = rng.get_state()
    mixup = MixupTransformer(include_original=True, random_state=rng)
    with pytest.raises(ValueError, match="sample_weight.*include_original"):
        mixup.fit_resample(X_IRIS, Y_IRIS, sample_weight=weights)
    assert not [name for name in vars(mixup) if name.endswith("_")]
    after = rng.get_state()
    np.testing.assert_array_equal(after[1], state[1])
    assert after[2:] == state[2:]  # no random number was drawn


def test_include_original_with_unequal_routed_weights_raises_in_the_pipeline():
    with sklearn.config_context(enable_metadata_routing=True):
        mixup = MixupTransformer(include_original=True, random_state=0)
        mixup.set_fit_resample_request(sample_weight=True)
        clf = SoftLabelClassifier(classes=CLASSES).set_fit_request(sample_weight=False)
        with pytest.raises(ValueError, match="sample_weight.*include_original"):
            _pipeline(mixup, clf).fit(X_IRIS, Y_IRIS, sample_weight=WEIGHTS)


@pytest.mark.parametrize("include_original", [False, True])
def test_routed_equal_weights_fit_as_no_weights(include_original):
    mixup_params = dict(include_original=include_original, random_state=0)
    with sklearn.config_context(enable_metadata_routing=True):
        mixup = MixupTransformer(**mixup_params).set_fit_resample_request(
            sample_weight=True
        )
        clf = SoftLabelClassifier(classes=CLASSES).set_fit_request(sample_weight=False)
        weighted = _pipeline(mixup, clf).fit(
            X_IRIS, Y_IRIS, sample_weight=np.full(150, 3.0)
        )
    plain = _pipeline(MixupTransformer(**mixup_params)).fit(X_IRIS, Y_IRIS)
    np.testing.assert_array_equal(weighted[-1].coef_, plain[-1].coef_)
