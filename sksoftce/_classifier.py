"""SoftLabelClassifier: linear or MLP models fitted on soft-label BCE or CCE."""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from ._losses import LOSSES
from ._mixup import MixupTransformer, mix
from ._networks import ACTIVATIONS, Network
from ._fitted_state import all_or_nothing
from ._objective import (
    GRADIENT_SOLVERS,
    HESSIAN_SOLVERS,
    SOLVERS,
    Objective,
    check_solver_options,
    optimize,
)
from ._targets import MULTILABEL, class_weight_vector, encode_targets, hard_targets

# BFGS keeps a dense n_params x n_params inverse Hessian; refuse above this size.
_BFGS_MAX_BYTES = 2 * 1024**3


class SoftLabelClassifier(ClassifierMixin, BaseEstimator):
    """Linear or MLP classifier fitted on hard or soft labels with BCE or CCE.

    The model minimises, with sample weights ``s_i`` and ``S = sum_i s_i``::

        sum_i s_i * loss_i / S  +  alpha / (2 * S) * ||weights||^2

    where ``loss_i`` is the categorical cross-entropy of softmax outputs
    (``loss="cce"``) or the binary cross-entropy of one sigmoid per output, summed
    over outputs (``loss="bce"``), against soft targets; intercepts are not
    penalised. With hard labels and ``hidden_layer_sizes=()`` this is exactly
    :class:`~sklearn.linear_model.LogisticRegression` with ``C = 1 / alpha``
    (multinomial for ``"cce"``, one-vs-rest for ``"bce"``).

    Parameters
    ----------
    loss : {"cce", "bce"}, default="cce"
        ``"cce"``: softmax outputs, one per class, and categorical cross-entropy.
        ``"bce"``: one sigmoid per class and binary cross-entropy; a binary problem
        has one output. Only ``"bce"`` accepts multi-label targets.

    hidden_layer_sizes : tuple of int, default=()
        Sizes of the hidden layers; ``()`` gives a linear model, ``(100,)`` an MLP
        with one hidden layer of 100 units.

    activation : {"relu", "tanh", "logistic", "identity"}, default="relu"
        Activation of the hidden layers.

    alpha : float, default=1.0
        Strength of the L2 penalty on the weights, scaled as in the formula above,
        so ``alpha = 1 / C`` matches ``LogisticRegression(C=C)``.

    solver : {"L-BFGS-B", "BFGS", "CG", "Newton-CG", "trust-ncg", \
            "trust-krylov"}, default="L-BFGS-B"
        The ``method`` of :func:`scipy.optimize.minimize`. ``"Newton-CG"``,
        ``"trust-ncg"`` and ``"trust-krylov"`` use exact Hessian-vector products
        and are available for linear models only.

    max_iter : int, default=200
        Maximum number of iterations of the solver.

    tol : float, default=1e-4
        Tolerance of the solver: the gradient tolerance ``gtol`` (as
        ``LogisticRegression`` uses it), ``xtol`` for ``"Newton-CG"``.

    solver_options : dict, default=None
        Further ``options`` for :func:`scipy.optimize.minimize`; they override the
        defaults (for ``"L-BFGS-B"``: ``maxls=50, ftol=64 * eps``, as in
        ``LogisticRegression``). Names the solver does not accept, and
        ``maxiter`` (use ``max_iter``), raise a ValueError. A ``callback`` is
        called after every iteration with SciPy's ``intermediate_result``; it may
        raise ``StopIteration`` to end the fit early (with a
        ``ConvergenceWarning``, the model fitted so far kept).

    label_smoothing : float in [0, 1), default=0.0
        ``eps``: CCE targets become ``(1 - eps) * y + eps / K`` (K classes), BCE
        targets ``(1 - eps) * y + eps / 2`` for every output, as in Keras and
        PyTorch.

    class_weight : dict, "balanced" or None, default=None
        Weight of each class, multiplied into the sample weights. A soft target
        row gets the expected weight ``sum_k y_ik * class_weight[k]``;
        ``"balanced"`` uses ``S / (K * sum_i s_i * y_ik)``, which for hard labels
        is :func:`~sklearn.utils.class_weight.compute_class_weight`. Not available
        for multi-label targets.

    classes : array-like of shape (K,), default=None
        Names of the classes, in the order of the columns of 2-D targets and of
        ``predict_proba``. Default: the sorted labels for hard labels, ``[0, 1]``
        for 1-D soft targets and ``arange(K)`` for 2-D targets. Given with hard
        labels, it may name classes absent from ``y``.

    multilabel : {"auto", True, False}, default="auto"
        How to read 2-D targets: ``"auto"`` reads them as class probabilities
        when every row sums to 1 (within 1e-6) and as multi-label targets
        otherwise; ``True`` and ``False`` force one reading.

    random_state : int, RandomState instance or None, default=None
        Seed of the Glorot-uniform initialisation of an MLP (linear models start
        at zero).

    warm_start : bool, default=False
        Start from the previous fit's parameters when the classes and the
        architecture are unchanged; ``X`` must keep its number of features.

    mixup : MixupTransformer, default=None
        Mixup applied to the training data inside :meth:`fit` (never at predict or
        score time): pairs of rows and their target rows are mixed after the
        targets are read and class weights applied (mixing and label smoothing
        commute: both are affine maps of the targets).
        Its ``alpha``, ``n_samples``, ``include_original`` and ``random_state``
        are used; the targets are read with this classifier's ``classes`` and
        ``multilabel``. Searchable as ``mixup__alpha``.

    verbose : int, default=0
        Print the objective after every iteration when positive.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels (or label names for multi-label targets).

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    target_type_ : {"binary", "multiclass", "multilabel"}
        How the targets were read.

    n_outputs_ : int
        Number of outputs of the network: 1 for binary BCE, else the number of
        classes.

    out_activation_ : {"softmax", "logistic"}
        Output activation.

    coefs_ : list of ndarray
        ``coefs_[i]`` is the ``(fan_in, fan_out)`` weight matrix of layer ``i``.

    intercepts_ : list of ndarray
        ``intercepts_[i]`` is the bias vector of layer ``i``.

    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Linear models only, in ``LogisticRegression``'s shapes. For binary CCE it
        is the difference of the two softmax units' weights.

    intercept_ : ndarray of shape (1,) or (n_classes,)
        Linear models only, as ``coef_``.

    n_iter_ : int
        Iterations run by the solver, at most ``max_iter``.

    loss_ : float
        Final value of the objective (penalty included).

    loss_curve_ : list of float
        The objective at the initial parameters, then after every iteration.

    optimize_result_ : scipy.optimize.OptimizeResult
        What :func:`scipy.optimize.minimize` returned.

    See Also
    --------
    sklearn.linear_model.LogisticRegression : Hard labels, linear models.
    sklearn.neural_network.MLPClassifier : Hard labels, MLPs.

    Examples
    --------
    >>> import numpy as np
    >>> from sksoftce import SoftLabelClassifier
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> y_soft = np.array([[0.9, 0.1], [0.7, 0.3], [0.3, 0.7], [0.1, 0.9]])
    >>> clf = SoftLabelClassifier(alpha=0.0).fit(X, y_soft)
    >>> clf.classes_
    array([0, 1])
    >>> clf.predict([[0.5], [2.5]])
    array([0, 1])
    >>> clf.predict_proba([[1.5]]).round(3)
    array([[0.5, 0.5]])
    """

    _parameter_constraints: dict = {
        "loss": [StrOptions(set(LOSSES))],
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "solver": [StrOptions(set(SOLVERS))],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "solver_options": [dict, None],
        "label_smoothing": [Interval(Real, 0, 1, closed="left")],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "classes": ["array-like", None],
        "multilabel": [StrOptions({"auto"}), "boolean"],
        "random_state": ["random_state"],
        "warm_start": ["boolean"],
        "mixup": [MixupTransformer, None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        loss="cce",
        *,
        hidden_layer_sizes=(),
        activation="relu",
        alpha=1.0,
        solver="L-BFGS-B",
        max_iter=200,
        tol=1e-4,
        solver_options=None,
        label_smoothing=0.0,
        class_weight=None,
        classes=None,
        multilabel="auto",
        random_state=None,
        warm_start=False,
        mixup=None,
        verbose=0,
    ):
        self.loss = loss
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.alpha = alpha
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.solver_options = solver_options
        self.label_smoothing = label_smoothing
        self.class_weight = class_weight
        self.classes = classes
        self.multilabel = multilabel
        self.random_state = random_state
        self.warm_start = warm_start
        self.mixup = mixup
        self.verbose = verbose

    # ------------------------------------------------------------------ fitting
    def _hidden_sizes(self):
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if isinstance(sizes, Integral) else list(sizes)
        for size in sizes:
            if not isinstance(size, Integral) or isinstance(size, bool) or size < 1:
                raise ValueError(
                    "hidden_layer_sizes must hold positive integers; got "
                    f"{self.hidden_layer_sizes!r}."
                )
        return [int(size) for size in sizes]

    def _check_solver(self, network):
        if self.solver in HESSIAN_SOLVERS and network.n_layers > 1:
            raise ValueError(
                f"solver={self.solver!r} needs Hessian-vector products, which are "
                "provided for linear models (hidden_layer_sizes=()) only; use one of "
                f"{sorted(GRADIENT_SOLVERS)} for an MLP."
            )
        check_solver_options(self.solver, self.solver_options)
        if self.solver == "BFGS" and 8 * network.n_params**2 > _BFGS_MAX_BYTES:
            raise ValueError(
                f"solver='BFGS' stores a dense {network.n_params} x "
                f"{network.n_params} matrix ({8 * network.n_params**2 / 1024**3:.1f} "
                "GiB) for this model; use solver='L-BFGS-B'."
            )

    def _check_loss_accepts(self, encoded):
        if encoded.target_type == MULTILABEL and self.loss == "cce":
            raise ValueError(
                "loss='cce' needs single-label targets (rows that sum to 1), but y "
                "was read as multi-label targets; use loss='bce' for multi-label "
                "problems, or multilabel=False if the rows are class probabilities."
            )

    def _training_targets(self, probabilities, target_type):
        """Smoothed targets, one column per network output."""
        eps = self.label_smoothing
        if self.loss == "cce":
            return probabilities * (1.0 - eps) + eps / probabilities.shape[1]
        if target_type == "binary":
            probabilities = probabilities[:, 1:]
        return probabilities * (1.0 - eps) + eps / 2.0

    def _sample_weights(self, encoded, sample_weight, X):
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=np.float64, ensure_non_negative=True
        )
        if self.class_weight is not None:
            if encoded.target_type == MULTILABEL:
                raise ValueError(
                    "class_weight is not supported for multi-label targets; pass "
                    "sample_weight instead."
                )
            per_class = class_weight_vector(
                self.class_weight,
                encoded.classes,
                encoded.probabilities,
                sample_weight,
            )
            sample_weight = sample_weight * (encoded.probabilities @ per_class)
        if not sample_weight.sum() > 0:
            raise ValueError(
                "sample_weight (times class_weight) sums to zero: at least one "
                "sample needs a positive weight."
            )
        return sample_weight

    def _initial_parameters(self, network, encoded):
        if self.warm_start and hasattr(self, "coefs_"):
            previous = (self.classes_, self.target_type_)
            if not (
                np.array_equal(previous[0], encoded.classes)
                and previous[1] == encoded.target_type
            ):
                raise ValueError(
                    "warm_start can only be used where y has the same classes as in "
                    f"the previous call to fit. Previously got {self.classes_!r}, y "
                    f"has {encoded.classes!r}."
                )
            shapes = [c.shape for c in self.coefs_]
            if shapes == network.shapes:
                return network.pack(self.coefs_, self.intercepts_)
        return network.initial_parameters(self.random_state)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model to hard or soft targets.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; float32 data is computed in float32.

        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Hard labels of any type; probabilities of the positive class in
            [0, 1]; rows of class probabilities; or multi-label indicators or
            marginals (``loss="bce"`` only). See ``classes`` and ``multilabel``.

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; integer weights equal repeated rows.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        with all_or_nothing(self):
            self._fit(X, y, sample_weight)
        return self

    def _fit(self, X, y, sample_weight):
        warm = self.warm_start and hasattr(self, "coefs_")
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            dtype=[np.float64, np.float32],
            multi_output=True,
            reset=not warm,  # a warm start keeps the number of features
        )
        encoded = encode_targets(y, classes=self.classes, multilabel=self.multilabel)
        self._check_loss_accepts(encoded)
        sample_weight = self._sample_weights(encoded, sample_weight, X)
        # Label smoothing is affine with weights summing to 1, so it commutes with
        # mixing: smooth first, and every check below runs before any mixing.
        targets = self._training_targets(encoded.probabilities, encoded.target_type)
        network = Network(
            [X.shape[1], *self._hidden_sizes(), targets.shape[1]], self.activation
        )
        self._check_solver(network)
        theta0 = self._initial_parameters(network, encoded)
        if self.mixup is not None:
            self.mixup._validate_params()
            X, targets, sample_weight, _, _ = mix(
                X.tocsr() if sp.issparse(X) else X,
                targets,
                sample_weight,
                alpha=self.mixup.alpha,
                n_samples=self.mixup.n_samples,
                include_original=self.mixup.include_original,
                random_state=self.mixup.random_state,
            )
        weight_sum = float(sample_weight.sum())
        objective = Objective(
            network,
            LOSSES[self.loss],
            X,
            targets,
            sample_weight / weight_sum,
            self.alpha / weight_sum,
        )
        result, loss_curve = optimize(
            objective,
            theta0,
            solver=self.solver,
            max_iter=self.max_iter,
            tol=self.tol,
            solver_options=self.solver_options,
            verbose=self.verbose,
        )
        n_iter = min(int(result.get("nit", self.max_iter)), self.max_iter)
        if not result.success or n_iter >= self.max_iter:
            recovered = (
                " The objective became non-finite; the model keeps the last iterate "
                "where it was finite."
                if result.get("nan_recovered")
                else ""
            )
            warnings.warn(
                f"{self.solver} did not converge: {result.message} (status "
                f"{result.status}, {n_iter} iterations).{recovered} Increase "
                "max_iter, loosen tol or scale the data, e.g. with StandardScaler.",
                ConvergenceWarning,
                stacklevel=4,  # the caller of fit, past _fit_context's wrapper
            )
        coefs, intercepts = network.unpack(result.x.astype(X.dtype))

        # Everything is computed: publish the fitted state in one go.
        self.classes_ = encoded.classes
        self.target_type_ = encoded.target_type
        self.n_outputs_ = targets.shape[1]
        self.out_activation_ = "softmax" if self.loss == "cce" else "logistic"
        self.coefs_ = coefs
        self.intercepts_ = intercepts
        self.n_iter_ = n_iter
        self.loss_ = float(result.fun)
        self.loss_curve_ = loss_curve
        self.optimize_result_ = result

    # --------------------------------------------------------------- prediction
    def _logits(self, X):
        check_is_fitted(self)
        X = validate_data(
            self,
            X,
            accept_sparse=["csr", "csc"],
            dtype=[np.float64, np.float32],
            reset=False,
        )
        network = Network(
            [c.shape[0] for c in self.coefs_] + [self.n_outputs_], self.activation
        )
        theta = network.pack(self.coefs_, self.intercepts_, dtype=self.coefs_[0].dtype)
        return network.forward(X, theta)

    def _is_binary_cce(self):
        return self.out_activation_ == "softmax" and self.n_outputs_ == 2

    def decision_function(self, X):
        """Logits of the model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, `n_outputs_`)
            Binary problems give one score per sample, positive for
            ``classes_[1]`` (for CCE the difference of the two logits); otherwise
            one logit per output.
        """
        logits = self._logits(X)
        if self._is_binary_cce():
            return logits[:, 1] - logits[:, 0]
        if self.n_outputs_ == 1:
            return logits[:, 0]
        return logits

    def predict(self, X):
        """Predict class labels, or label indicators for multi-label targets.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
            ``classes_`` of the highest probability; for multi-label targets the
            0/1 matrix of marginals above 0.5.
        """
        scores = self.decision_function(X)
        if self.target_type_ == MULTILABEL:
            return (scores > 0).astype(int)
        if scores.ndim == 1:
            return self.classes_[(scores > 0).astype(int)]
        return self.classes_[np.argmax(scores, axis=1)]

    def predict_proba(self, X):
        """Probability estimates.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            CCE: the softmax. BCE: ``[1 - p, p]`` for binary problems, the
            independent marginals for multi-label targets, and the sigmoids
            normalised to sum to 1 for multiclass targets (as one-vs-rest does).
        """
        return np.exp(self.predict_log_proba(X))

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`, computed stably from the logits.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        logits = self._logits(X)
        loss = LOSSES[self.loss]
        if self.out_activation_ == "softmax":
            return loss.predict_log_proba(logits)
        if self.n_outputs_ == 1:
            return loss.predict_log_proba(np.hstack([-logits, logits]))
        log_marginals = loss.predict_log_proba(logits)
        if self.target_type_ == MULTILABEL:
            return log_marginals
        return LOSSES["cce"].predict_log_proba(log_marginals)

    def score(self, X, y, sample_weight=None):
        """Accuracy against hard or soft targets.

        Soft targets count a prediction as right when it is the class of highest
        target probability (the first on ties); multi-label targets use subset
        accuracy with the marginals thresholded at 0.5.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Targets in any form accepted by :meth:`fit`.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        float
        """
        check_is_fitted(self)
        y_true = hard_targets(
            y, self.classes_, multilabel=self.target_type_ == MULTILABEL
        )
        return accuracy_score(y_true, self.predict(X), sample_weight=sample_weight)

    def _linear_coefficients(self):
        check_is_fitted(self)
        if len(self.coefs_) != 1:
            raise AttributeError(
                "coef_ and intercept_ exist for linear models only "
                "(hidden_layer_sizes=()); coefs_ and intercepts_ hold an MLP's layers."
            )
        weights, bias = self.coefs_[0].T, self.intercepts_[0]
        if self._is_binary_cce():
            return weights[1:] - weights[:1], bias[1:] - bias[:1]
        return weights, bias

    @property
    def coef_(self):
        """ndarray of shape (1, n_features) or (n_classes, n_features).

        Weights of a linear model in ``LogisticRegression``'s shape.
        """
        return self._linear_coefficients()[0]

    @property
    def intercept_(self):
        """ndarray of shape (1,) or (n_classes,): intercepts of a linear model."""
        return self._linear_coefficients()[1]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.classifier_tags.multi_label = self.loss == "bce"
        tags.target_tags.multi_output = self.loss == "bce"
        return tags

