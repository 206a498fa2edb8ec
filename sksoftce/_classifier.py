"""SoftLabelClassifier: linear or MLP models fitted on soft-label BCE or CCE."""

from __future__ import annotations

import dataclasses
import math
import warnings
from functools import partial
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from . import _dask
from ._dask import is_dask
from ._fitted_state import fit_on_copy
from ._losses import HEADS, LOSSES, BinaryCrossEntropy, CategoricalCrossEntropy
from ._mixup import MixupTransformer, TrainingMixer
from ._networks import ACTIVATIONS, Network
from ._objective import Objective
from ._scipy_solver import (
    ALIASES,
    GRADIENT_SOLVERS,
    HESSIAN_SOLVERS,
    SOLVERS,
    check_solver_options,
    minimize_objective,
    minimize_redrawn,
)
from ._stochastic_solver import (
    STOCHASTIC_SOLVERS,
    AdamOptimizer,
    SGDOptimizer,
    StochasticState,
    run_epochs,
)
from ._targets import (
    MULTILABEL,
    check_weight_total,
    class_weight_vector,
    encode_targets,
    hard_targets,
    holds_hard_labels,
)
from .metrics import soft_log_loss

# Largest hidden layer: a layer's weights are one array, whose dimensions NumPy
# indexes with 64-bit integers; far larger sizes overflow before any memory check.
_MAX_LAYER_SIZE = 2**31 - 1


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

    The SciPy solvers minimise it on all rows at once; ``solver="adam"`` and
    ``"sgd"`` follow :class:`~sklearn.neural_network.MLPClassifier`'s mini-batch
    optimisers, each step along an unbiased estimate of the same objective (the
    data term of a batch that is a fraction ``q`` of the rows is divided by
    ``q * S``; the penalty keeps its full-data scale ``alpha / (2 * S)`` in every
    batch).

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

    solver : {"L-BFGS-B", "lbfgs", "BFGS", "CG", "Newton-CG", "trust-ncg", \
            "trust-krylov", "trust-exact", "adam", "sgd"}, default="L-BFGS-B"
        ``"adam"`` and ``"sgd"``: mini-batch optimisers with ``MLPClassifier``'s
        parameters and stopping rule. The others are the ``method`` of
        :func:`scipy.optimize.minimize` (``"lbfgs"`` is scikit-learn's spelling of
        ``"L-BFGS-B"``); ``"Newton-CG"``, ``"trust-ncg"`` and ``"trust-krylov"``
        use exact Hessian-vector products, ``"trust-exact"`` the exact dense
        Hessian (``(d + 1)**2 K**2`` float64 entries), and all four are available
        for linear models only.

    max_iter : int, default=200
        Maximum number of iterations of a SciPy solver, or of epochs (passes over
        the training rows) of ``"adam"`` and ``"sgd"``.

    tol : float, default=1e-4
        SciPy solvers: the gradient tolerance ``gtol`` (as ``LogisticRegression``
        uses it), ``xtol`` for ``"Newton-CG"``. ``"adam"``, ``"sgd"`` and SciPy
        solvers with ``mixup``: the improvement of the loss (or validation score)
        below which an epoch (a round of redrawn mixtures) counts as no
        improvement, as in ``MLPClassifier``.

    solver_options : dict, default=None
        Further ``options`` for :func:`scipy.optimize.minimize`; they override the
        defaults (for ``"L-BFGS-B"``: ``maxls=50, ftol=64 * eps``, as in
        ``LogisticRegression``). Names the solver does not accept, and
        ``maxiter`` (use ``max_iter``), raise a ValueError, as does any option
        with ``"adam"`` or ``"sgd"``. A ``callback`` is called after every
        iteration with SciPy's ``intermediate_result``; it may raise
        ``StopIteration`` to end the fit early (with a ``ConvergenceWarning``, the
        model fitted so far kept).

    batch_size : int or "auto", default="auto"
        Rows per mini-batch of ``"adam"`` and ``"sgd"``; ``"auto"`` is
        ``min(200, n_samples)``. Larger than the number of rows, it is clipped with
        a warning. Ignored by the SciPy solvers.

    learning_rate : {"constant", "invscaling", "adaptive"}, default="constant"
        Schedule of ``"sgd"``'s learning rate, as in ``MLPClassifier``:
        ``"invscaling"`` sets it to ``learning_rate_init / (t_ + 1) ** power_t``
        after every epoch; ``"adaptive"`` divides it by 5 whenever
        ``n_iter_no_change`` epochs pass without improvement, and stops when it
        falls below 1e-6. Only used by ``"sgd"``.

    learning_rate_init : float, default=0.001
        Initial step size of ``"adam"`` and ``"sgd"``.

    power_t : float, default=0.5
        Exponent of the ``"invscaling"`` schedule. Only used by ``"sgd"``.

    momentum : float in [0, 1], default=0.9
        Momentum of ``"sgd"``.

    nesterovs_momentum : bool, default=True
        Whether ``"sgd"`` uses Nesterov's momentum.

    beta_1, beta_2 : float in [0, 1), default=0.9, 0.999
        Decay rates of Adam's first and second moment estimates.

    epsilon : float, default=1e-8
        Adam's numerical stability constant.

    shuffle : bool, default=True
        Whether ``"adam"`` and ``"sgd"`` visit the rows in a new random order in
        every epoch.

    early_stopping : bool, default=False
        ``"adam"`` and ``"sgd"`` only: hold out ``validation_fraction`` of the rows
        (stratified on the targets' most probable class for single-label targets;
        before any mixing), score them after every epoch with the negative
        soft-label log loss (:func:`~sksoftce.metrics.soft_log_loss` of the
        original targets, weighted as the objective weighs the rows), stop when it
        has not improved by ``tol`` for more than ``n_iter_no_change`` epochs, and
        keep the parameters of the best epoch. Not available in
        :meth:`partial_fit`.

    validation_fraction : float in (0, 1), default=0.1
        Share of the rows held out by ``early_stopping``.

    n_iter_no_change : int or np.inf, default=10
        Epochs (``"adam"``, ``"sgd"``) or rounds of redrawn mixtures (SciPy solvers
        with ``mixup``) without an improvement of ``tol`` before the fit stops.

    label_smoothing : float in [0, 1), default=0.0
        ``eps``: CCE targets become ``(1 - eps) * y + eps / K`` (K classes), BCE
        targets ``(1 - eps) * y + eps / 2`` for every output, as in Keras and
        PyTorch.

    class_weight : dict, "balanced" or None, default=None
        Weight of each class, multiplied into the sample weights. A soft target
        row gets the expected weight ``sum_k y_ik * class_weight[k]``;
        ``"balanced"`` uses ``S / (K * sum_i s_i * y_ik)``, which for hard labels
        is :func:`~sklearn.utils.class_weight.compute_class_weight`. Not available
        for multi-label targets, nor ``"balanced"`` in :meth:`partial_fit`.

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
        at zero), of the order of the mini-batches and of the validation split;
        also of the mixtures when ``mixup.random_state`` is None.

    warm_start : bool, default=False
        Start from the previous fit's parameters when the classes and the
        architecture are unchanged; ``X`` must keep its number of features. With
        ``"adam"`` and ``"sgd"``, ``loss_curve_``, ``t_`` and the stopping state
        carry on, as in ``MLPClassifier``.

    mixup : MixupTransformer, default=None
        Mixup applied to the training data inside :meth:`fit` and
        :meth:`partial_fit` (never at predict or score time), with fresh pairs
        and ``lam`` throughout the fit: ``"adam"`` and ``"sgd"`` mix the rows of
        every mini-batch anew; the SciPy solvers redraw the mixtures of all rows
        every ``mixup_redraw_every`` iterations and restart from where they were.
        Its ``alpha``, ``n_samples`` (a share of each batch), ``include_original``
        and ``random_state`` are used; the mixed rows' weights are rescaled to the
        weight of the rows they come from, so ``alpha`` keeps its meaning. Targets
        are smoothed and class-weighted before mixing (both commute with it).
        Searchable as ``mixup__alpha``.

    temperature : float > 0, default=1.0
        Train the network on ``softmax(logits / temperature)`` (``sigmoid`` for
        BCE); predictions use ``temperature=1``. Hinton et al. (2015) multiply the
        soft-target loss by ``T**2`` so that its gradients keep their size as T
        changes; in this objective that factor is the same as dividing ``alpha``
        by ``T**2``. For a linear model, ``temperature=T`` is a reparameterisation:
        it fits ``W / T`` with ``alpha * T**2`` and predicts with ``T`` times the
        logits of that fit (the user guide shows it).

    focal_gamma : float >= 0, default=0.0
        The focal form of the loss (Lin et al., 2017). CCE: each class term
        ``-t_k log p_k`` weighted by ``(1 - p_k)**gamma``. BCE: each output's
        cross-entropy weighted by ``(1 - p_t)**gamma`` with
        ``p_t = p t + (1 - p)(1 - t)``, as torchvision's ``sigmoid_focal_loss``.
        It is not a proper loss for soft targets: for a target of 0.7 and
        ``gamma=2`` the BCE focal loss is minimised at p = 0.878 (0.806 for
        ``gamma=1``), so a ``UserWarning`` is raised when ``gamma > 0`` meets
        targets that are not all 0 or 1 (soft labels, label smoothing, mixup).
        Not available with the Hessian solvers.

    pos_weight : float or array-like of shape (n_outputs,), default=None
        ``loss="bce"`` only: weight of the positive term of each output, exactly
        PyTorch's ``BCEWithLogitsLoss(pos_weight=...)``:
        ``-(w_k t log s(z) + (1 - t) log(1 - s(z)))``. A binary problem has one
        output; otherwise one per class or label. Not available with the Hessian
        solvers.

    mixup_redraw_every : int, default=5
        SciPy solvers with ``mixup``: iterations run on one draw of the mixtures
        before the next draw. Ignored otherwise.

    dask_persist : bool, default=True
        Dask input only (see :ref:`dask`): persist ``X``, the targets and the
        weights in the cluster's memory once per fit. The SciPy solvers read all
        rows at every evaluation of the objective; ``False`` recomputes the chunks
        from their task graph every time (from the files they are read from, for
        instance), for data larger than the cluster's memory. Ignored for
        in-memory input.

    verbose : int, default=0
        Print the objective after every iteration (epoch) when positive.

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

    n_layers_ : int
        Number of layers, input and output layers included.

    out_activation_ : {"softmax", "logistic"}
        Output activation.

    hidden_activation_ : str
        Activation of the hidden layers the model was fitted with.

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
        Iterations (SciPy solvers) or epochs (``"adam"``, ``"sgd"``) run by this
        call, at most ``max_iter``.

    t_ : int
        Training rows processed by the solver (rows times iterations or epochs).

    loss_ : float
        Final value of the objective (penalty included); for ``"adam"`` and
        ``"sgd"``, the mean of the last epoch's mini-batch estimates.

    best_loss_ : float or None
        Lowest value in ``loss_curve_``; None with ``early_stopping``.

    loss_curve_ : list of float
        SciPy solvers: the objective at the initial parameters, then after every
        iteration; with ``mixup``, the objective on the original (unmixed) rows at
        the initial parameters, then after every round of redrawn mixtures.
        ``"adam"`` and ``"sgd"``: one value per epoch, the mean of the mini-batch
        estimates (of the original rows of each batch with ``mixup``).

    validation_scores_ : list of float or None
        With ``early_stopping``, the negative soft-label log loss of the held-out
        rows after every epoch; None otherwise.

    best_validation_score_ : float or None
        The best of ``validation_scores_``; None without ``early_stopping``.

    optimize_result_ : scipy.optimize.OptimizeResult or None
        What :func:`scipy.optimize.minimize` returned (in the last round, with
        mixup); None for ``"adam"`` and ``"sgd"``.

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
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "solver": [StrOptions(SOLVERS | STOCHASTIC_SOLVERS | set(ALIASES))],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "solver_options": [dict, None],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "shuffle": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "label_smoothing": [Interval(Real, 0, 1, closed="left")],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "classes": ["array-like", None],
        "multilabel": [StrOptions({"auto"}), "boolean"],
        "random_state": ["random_state"],
        "warm_start": ["boolean"],
        "mixup": [MixupTransformer, None],
        "temperature": [Interval(Real, 0, None, closed="neither")],
        "focal_gamma": [Interval(Real, 0, None, closed="left")],
        "pos_weight": [Interval(Real, 0, None, closed="neither"), "array-like", None],
        "mixup_redraw_every": [Interval(Integral, 1, None, closed="left")],
        "dask_persist": ["boolean"],
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
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        momentum=0.9,
        nesterovs_momentum=True,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        shuffle=True,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        label_smoothing=0.0,
        class_weight=None,
        classes=None,
        multilabel="auto",
        random_state=None,
        warm_start=False,
        mixup=None,
        temperature=1.0,
        focal_gamma=0.0,
        pos_weight=None,
        mixup_redraw_every=5,
        dask_persist=True,
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
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.shuffle = shuffle
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.label_smoothing = label_smoothing
        self.class_weight = class_weight
        self.classes = classes
        self.multilabel = multilabel
        self.random_state = random_state
        self.warm_start = warm_start
        self.mixup = mixup
        self.temperature = temperature
        self.focal_gamma = focal_gamma
        self.pos_weight = pos_weight
        self.mixup_redraw_every = mixup_redraw_every
        self.dask_persist = dask_persist
        self.verbose = verbose

    # ------------------------------------------------------------ checks
    def _solver_name(self):
        return ALIASES.get(self.solver, self.solver)

    def _is_stochastic(self):
        return self._solver_name() in STOCHASTIC_SOLVERS

    def _hidden_sizes(self):
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if np.ndim(sizes) == 0 else list(np.ravel(sizes, order="K"))
        for size in sizes:
            if isinstance(size, np.ndarray):  # a 0-d array
                size = size.item()
            if (
                not isinstance(size, Integral)
                or isinstance(size, bool | np.bool_)
                or not 1 <= size <= _MAX_LAYER_SIZE
            ):
                raise ValueError(
                    "hidden_layer_sizes must hold integers from 1 to "
                    f"{_MAX_LAYER_SIZE}; got {self.hidden_layer_sizes!r}."
                )
        return [int(size) for size in sizes]

    def _make_loss(self, targets):
        """The loss with its options, checked against the targets of the outputs."""
        if self.loss == "cce":
            if self.pos_weight is not None:
                raise ValueError(
                    "pos_weight weighs the positive term of binary cross-entropy; "
                    f"it needs loss='bce', not loss='cce'. Got pos_weight="
                    f"{self.pos_weight!r}."
                )
            loss = CategoricalCrossEntropy(self.temperature, self.focal_gamma)
        else:
            loss = BinaryCrossEntropy(
                self.temperature, self.focal_gamma, self._pos_weight(targets.shape[1])
            )
        if self.focal_gamma > 0 and (
            self.mixup is not None or np.any((targets > 0) & (targets < 1))
        ):
            warnings.warn(
                f"focal_gamma={self.focal_gamma} meets soft targets (soft labels, "
                "label smoothing or mixup): the focal loss is not proper there, its "
                "minimiser is not the target (t=0.7, gamma=2: p=0.878 for BCE).",
                UserWarning,
                stacklevel=8,  # the caller of fit, past _make_loss and _fit_data
            )
        return loss

    def _pos_weight(self, n_outputs):
        if self.pos_weight is None:
            return None
        pos_weight = np.asarray(self.pos_weight, dtype=np.float64)
        if pos_weight.ndim == 0:
            pos_weight = np.full(n_outputs, float(pos_weight))
        if pos_weight.shape != (n_outputs,):
            raise ValueError(
                f"pos_weight must be a number or have one entry per output "
                f"({n_outputs} here); got shape {pos_weight.shape}."
            )
        if not np.all(np.isfinite(pos_weight) & (pos_weight > 0)):
            raise ValueError(
                f"pos_weight must be finite and positive; got {self.pos_weight!r}."
            )
        return pos_weight

    def _check_solver(self, network, solver, loss):
        if solver in HESSIAN_SOLVERS and not loss.has_hessian:
            raise ValueError(
                f"solver={solver!r} needs Hessian products, which focal_gamma > 0 "
                "and pos_weight do not provide here; use 'L-BFGS-B', 'adam' or "
                "'sgd'."
            )
        if solver in STOCHASTIC_SOLVERS:
            if self.solver_options:
                raise ValueError(
                    f"solver_options are options of scipy.optimize.minimize; "
                    f"solver={solver!r} takes its settings as parameters "
                    "(learning_rate_init, batch_size, ...). Got "
                    f"solver_options={self.solver_options!r}."
                )
            return
        if solver in HESSIAN_SOLVERS and network.n_layers > 1:
            raise ValueError(
                f"solver={solver!r} needs exact second derivatives, which are "
                "provided for linear models (hidden_layer_sizes=()) only; use one of "
                f"{sorted(GRADIENT_SOLVERS | STOCHASTIC_SOLVERS)} for an MLP."
            )
        check_solver_options(solver, self.solver_options, network.n_params)

    def _check_loss_accepts(self, encoded):
        if encoded.target_type == MULTILABEL and self.loss == "cce":
            raise ValueError(
                "loss='cce' needs single-label targets (rows that sum to 1), but y "
                "was read as multi-label targets; use loss='bce' for multi-label "
                "problems, or multilabel=False if the rows are class probabilities."
            )

    def _encode(self, y, *, continuing, incremental, classes):
        """Read ``y``; a continued fit must keep the classes and the kind of targets."""
        multilabel = self.multilabel
        if not continuing:
            if incremental:
                classes = self._first_partial_fit_classes(y, classes)
            else:
                classes = self.classes
            return encode_targets(y, classes=classes, multilabel=multilabel)
        if multilabel == "auto" and self.target_type_ == MULTILABEL:
            multilabel = True  # a chunk whose rows happen to sum to 1 stays multi-label
        if incremental:
            if classes is not None and not _same_classes(classes, self.classes_):
                raise ValueError(
                    f"classes={np.asarray(classes)!r} is not the same as on the first "
                    f"call to partial_fit, which set classes_={self.classes_!r}."
                )
            encoded = encode_targets(y, classes=self.classes_, multilabel=multilabel)
            call = "partial_fit"
        else:
            encoded = encode_targets(y, classes=self.classes, multilabel=multilabel)
            if not _same_classes(encoded.classes, self.classes_):
                raise ValueError(
                    "warm_start can only be used where y has the same classes as in "
                    f"the previous call to fit. Previously got {self.classes_!r}, y "
                    f"has {encoded.classes!r}."
                )
            call = "warm_start"
        if encoded.target_type != self.target_type_:
            raise ValueError(
                f"y was read as {encoded.target_type} targets, but the model was "
                f"fitted on {self.target_type_} targets; {call} must keep the kind "
                "of targets."
            )
        return encoded

    def _first_partial_fit_classes(self, y, classes):
        if classes is not None and self.classes is not None:
            if not _same_classes(classes, self.classes):
                raise ValueError(
                    f"partial_fit got classes={np.asarray(classes)!r}, which differ "
                    f"from the classes parameter {np.asarray(self.classes)!r}."
                )
        classes = self.classes if classes is None else classes
        if classes is None and holds_hard_labels(y):
            raise ValueError(
                "classes must be passed on the first call to partial_fit (or set "
                "with the classes parameter): a chunk of hard labels need not hold "
                "every class."
            )
        return classes

    def _sample_weights(self, encoded, sample_weight, X, incremental):
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=np.float64, ensure_non_negative=True
        )
        if self.class_weight is not None:
            if encoded.target_type == MULTILABEL:
                raise ValueError(
                    "class_weight is not supported for multi-label targets; pass "
                    "sample_weight instead."
                )
            if incremental and self.class_weight == "balanced":
                raise ValueError(
                    "class_weight='balanced' needs the class counts of all of y, "
                    "which partial_fit does not see; pass class_weight as a dict."
                )
            per_class = class_weight_vector(
                self.class_weight,
                encoded.classes,
                encoded.probabilities,
                sample_weight,
            )
            sample_weight = sample_weight * (encoded.probabilities @ per_class)
        what = (
            "sample_weight"
            if self.class_weight is None
            else ("sample_weight times class_weight")
        )
        if not np.all(np.isfinite(sample_weight)):
            raise ValueError(
                f"{what} must be finite; got "
                f"{sample_weight[~np.isfinite(sample_weight)][:3]!r}."
            )
        with np.errstate(over="ignore"):  # an infinite sum is refused below
            total = float(sample_weight.sum())
        check_weight_total(total, float(sample_weight.max()), what)
        if not np.isfinite(self.alpha / total):
            raise ValueError(
                f"alpha / sum({what}) = {self.alpha!r} / {total!r} overflows; "
                "multiply the weights by a constant, and alpha by the same constant."
            )
        return sample_weight

    def _batch_size(self, n_rows):
        if self.batch_size == "auto":
            return min(200, n_rows)
        if self.batch_size > n_rows:
            warnings.warn(
                f"batch_size={self.batch_size} is larger than the {n_rows} training "
                "rows; it is clipped to the number of rows.",
                UserWarning,
                stacklevel=9,  # the caller of fit (see the ConvergenceWarning)
            )
        return min(self.batch_size, n_rows)

    def _validation_split(self, encoded, n_rows, rng):
        """Indices ``(train, validation)`` of ``early_stopping``'s hold-out."""
        n_validation = math.ceil(self.validation_fraction * n_rows)
        if n_validation < 2 or n_rows - n_validation < 1:
            raise ValueError(
                f"early_stopping=True holds out validation_fraction="
                f"{self.validation_fraction} of the {n_rows} rows, that is "
                f"{n_validation} rows, and needs at least 2 held-out rows and 1 "
                "training row; increase validation_fraction or pass more rows."
            )
        stratify = None
        if encoded.target_type != MULTILABEL:
            stratify = np.argmax(encoded.probabilities, axis=1)
        try:
            return train_test_split(
                np.arange(n_rows),
                test_size=self.validation_fraction,
                stratify=stratify,
                random_state=rng,
            )
        except ValueError as exc:
            raise ValueError(
                f"early_stopping=True could not hold out a stratified "
                f"validation_fraction={self.validation_fraction} of the {n_rows} "
                f"rows: {exc} Increase validation_fraction or pass more rows."
            ) from exc

    # ------------------------------------------------------------------ fitting
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model to hard or soft targets.

        Parameters
        ----------
        X : {array-like, sparse matrix, dask array} of shape (n_samples, n_features)
            Training data; float32 data is computed in float32. A Dask array is
            fitted where its chunks live (see :ref:`dask`): the objective's sums
            are computed on the cluster, or the chunks streamed for ``"adam"``
            and ``"sgd"``.

        y : array-like or dask array of shape (n_samples,) or (n_samples, n_classes)
            Hard labels of any type; probabilities of the positive class in
            [0, 1]; rows of class probabilities; or multi-label indicators or
            marginals (``loss="bce"`` only). See ``classes`` and ``multilabel``.

        sample_weight : array-like or dask array of shape (n_samples,), default=None
            Non-negative weights; integer weights equal repeated rows.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        fit_on_copy(
            self, lambda work: work._fit(X, y, sample_weight, incremental=False)
        )
        return self

    @available_if(lambda self: self._check_partial_fit())
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch of ``"adam"`` or ``"sgd"`` over the rows given.

        The first call initialises the model; later calls continue from it (and
        from the optimiser's state). Each call's mini-batch steps estimate the
        objective of the rows it is given: the penalty is ``alpha / (2 * S)`` with
        ``S`` the weight of those rows. Available for ``solver="adam"`` and
        ``"sgd"`` only.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Targets in any form :meth:`fit` accepts.

        classes : array-like of shape (n_classes,), default=None
            All the classes across calls. Required on the first call for hard
            labels (unless the ``classes`` parameter is set), since a chunk need
            not hold every class; optional later, and then it must not change.
            2-D targets take the number of classes from their width.

        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        fit_on_copy(
            self,
            lambda work: work._fit(
                X, y, sample_weight, incremental=True, classes=classes
            ),
        )
        return self

    def _check_partial_fit(self):
        if not self._is_stochastic():
            raise AttributeError(
                "partial_fit is only available for the stochastic solvers "
                f"'adam' and 'sgd'; got solver={self.solver!r}."
            )
        return True

    def _fit(self, X, y, sample_weight, *, incremental, classes=None):
        # Underflow to 0 (exp of very negative logits) is harmless here; let
        # np.errstate(all="raise") around a fit raise for everything else.
        with np.errstate(under="ignore"):
            self._fit_data(
                X, y, sample_weight, incremental=incremental, classes=classes
            )

    def _fit_data(self, X, y, sample_weight, *, incremental, classes):
        solver = self._solver_name()
        if incremental and self.early_stopping:
            raise ValueError(
                "partial_fit does not support early_stopping=True: it sees one "
                "chunk at a time. Hold out validation rows yourself, or use fit."
            )
        continuing = hasattr(self, "coefs_") and (incremental or self.warm_start)
        if is_dask(X) or is_dask(y) or is_dask(sample_weight):
            # Validated chunk by chunk on the cluster; X, targets and weights stay
            # Dask arrays (persisted unless dask_persist=False).
            self._check_dask_options(solver)
            data = _dask.training_data(
                self, X, y, sample_weight, continuing=continuing,
                incremental=incremental, classes=classes, persist=self.dask_persist,
            )  # fmt: skip
            X, targets, sample_weight = data.X, data.targets, data.sample_weight
            encoded = data.encoded
        else:
            X, y = validate_data(
                self,
                X,
                y,
                accept_sparse=["csr", "csc"],
                dtype=[np.float64, np.float32],
                multi_output=True,
                reset=not continuing,  # a continued fit keeps the number of features
            )
            encoded = self._encode(
                y, continuing=continuing, incremental=incremental, classes=classes
            )
            self._check_loss_accepts(encoded)
            sample_weight = self._sample_weights(encoded, sample_weight, X, incremental)
            # Label smoothing is affine with weights summing to 1, so it commutes
            # with mixing: smooth first, and every check below runs before any
            # mixing.
            targets = LOSSES[self.loss].output_targets(
                encoded.probabilities, encoded.target_type, self.label_smoothing
            )
        network = Network(
            [X.shape[1], *self._hidden_sizes(), targets.shape[1]], self.activation
        )
        loss = self._make_loss(targets)
        self._check_solver(network, solver, loss)
        previous = self._previous_parameters(network, continuing, incremental)
        state = getattr(self, "_stochastic_state", None) if incremental else None
        rng = state.rng if state is not None else check_random_state(self.random_state)
        theta0 = network.initial_parameters(rng) if previous is None else previous
        if solver in STOCHASTIC_SOLVERS:
            result = self._fit_stochastic(
                X, encoded, targets, sample_weight, network, loss, theta0, rng,
                continuing=continuing, incremental=incremental,
            )  # fmt: skip
        else:
            result = self._fit_scipy(
                X, targets, sample_weight, network, loss, theta0, rng, solver
            )
        if not result.converged:
            # The caller of fit: past _fit_data, _fit, fit_on_copy and its lambda,
            # fit and _fit_context's wrapper.
            warnings.warn(result.message, ConvergenceWarning, stacklevel=7)
        coefs, intercepts = network.unpack(result.theta.astype(X.dtype))

        # Everything is computed: publish the fitted state in one go.
        self.classes_ = encoded.classes
        self.target_type_ = encoded.target_type
        self.n_outputs_ = targets.shape[1]
        self.n_layers_ = network.n_layers + 1
        self.out_activation_ = loss.out_activation
        self.hidden_activation_ = self.activation
        self.coefs_ = coefs
        self.intercepts_ = intercepts
        self.n_iter_ = result.n_iter
        self.t_ = result.n_samples_seen
        self.loss_ = float(result.loss)
        self.loss_curve_ = list(result.loss_curve)
        self.optimize_result_ = result.optimize_result
        if solver in STOCHASTIC_SOLVERS:
            self.best_loss_ = result.best_loss
            self.validation_scores_ = result.validation_scores
            self.best_validation_score_ = result.best_validation_score
            self._stochastic_state = result.state
        else:
            self.best_loss_ = float(np.nanmin(self.loss_curve_))
            self.validation_scores_ = self.best_validation_score_ = None
            self.__dict__.pop("_stochastic_state", None)

    def _check_dask_options(self, solver):
        """Refuse, before any work, what the Dask path does not provide."""
        if self.early_stopping:
            raise ValueError(
                "early_stopping=True is not available for Dask input: its hold-out "
                "is drawn from all rows. Hold out a validation set yourself."
            )
        if self.mixup is not None and solver not in STOCHASTIC_SOLVERS:
            raise ValueError(
                f"mixup with solver={self.solver!r} is not available for Dask input "
                "(it redraws mixtures of all rows); use solver='adam' or 'sgd', "
                "which mix every mini-batch, or mix the chunks first with "
                "MixupTransformer.fit_resample."
            )

    def _previous_parameters(self, network, continuing, incremental):
        """The fitted parameters a continued fit starts from, or None."""
        if not continuing:
            return None
        shapes = [c.shape for c in self.coefs_]
        if shapes != network.shapes:
            if incremental:
                raise ValueError(
                    f"partial_fit needs the architecture of the fitted model (layer "
                    f"shapes {shapes}); hidden_layer_sizes={self.hidden_layer_sizes!r} "
                    f"gives {network.shapes}."
                )
            return None  # warm_start with a new architecture starts afresh
        return network.pack(self.coefs_, self.intercepts_)

    def _fit_scipy(self, X, targets, sample_weight, network, loss, theta0, rng, solver):
        options = dict(
            solver=solver,
            max_iter=self.max_iter,
            tol=self.tol,
            solver_options=self.solver_options,
            verbose=self.verbose,
        )
        if is_dask(X):
            objective = _dask.DaskObjective(
                network, loss, X, targets, sample_weight, self.alpha
            )
        else:
            objective = Objective(network, loss, X, targets, sample_weight, self.alpha)
        if self.mixup is None:
            return minimize_objective(objective, theta0, **options)
        self.mixup._validate_params()
        X = X.tocsr() if sp.issparse(X) else X
        mixer = TrainingMixer(self.mixup, X.shape[0])
        mix_rng = self._mix_rng(rng)

        def draw_objective():
            mixed = mixer(X, targets, sample_weight, mix_rng)
            return Objective(network, loss, *mixed, self.alpha)

        return minimize_redrawn(
            objective,
            draw_objective,
            theta0,
            redraw_every=self.mixup_redraw_every,
            n_iter_no_change=self.n_iter_no_change,
            **options,
        )

    def _mix_rng(self, rng):
        """The mixtures' random stream: mixup's own seed, else the classifier's."""
        if self.mixup.random_state is None:
            return rng
        return check_random_state(self.mixup.random_state)

    def _new_stochastic_state(self, theta, rng, continuing):
        if self._solver_name() == "sgd":
            optimizer = SGDOptimizer(
                theta,
                self.learning_rate_init,
                self.learning_rate,
                self.momentum,
                self.nesterovs_momentum,
                self.power_t,
            )
        else:
            optimizer = AdamOptimizer(
                theta, self.learning_rate_init, self.beta_1, self.beta_2, self.epsilon
            )
        mix_rng = self._mix_rng(rng) if self.mixup is not None else rng
        previous = getattr(self, "_stochastic_state", None)
        if continuing and previous is not None:  # a warm start carries the history on
            return dataclasses.replace(
                previous.copy(), optimizer=optimizer, rng=rng, mix_rng=mix_rng
            )
        return StochasticState(optimizer=optimizer, rng=rng, mix_rng=mix_rng)

    def _fit_stochastic(
        self, X, encoded, targets, sample_weight, network, loss, theta0, rng, *,
        continuing, incremental,
    ):  # fmt: skip
        dask_input = is_dask(X)
        if not dask_input:
            X = X.tocsr() if sp.issparse(X) else np.ascontiguousarray(X)
        theta = np.array(theta0, dtype=X.dtype)
        previous = getattr(self, "_stochastic_state", None)
        if incremental and previous is not None:
            state = previous.copy()  # published only if this call completes
        else:
            state = self._new_stochastic_state(theta, rng, continuing)
        if self.early_stopping:
            if state.validation_scores is None:
                state.validation_scores, state.best_validation_score = [], -np.inf
            state.best_loss = None
        else:
            state.validation_scores = state.best_validation_score = None
            if state.best_loss is None:
                state.best_loss = np.inf
        rows, validation_score, train_weight = None, None, sample_weight
        if self.early_stopping:
            rows, held_out = self._validation_split(encoded, X.shape[0], state.rng)
            # Held-out rows weigh nothing in the objective; batches never draw them.
            train_weight = sample_weight.copy()
            train_weight[held_out] = 0.0
            if not (train_weight.sum() > 0 and sample_weight[held_out].sum() > 0):
                raise ValueError(
                    "early_stopping=True needs a positive sample weight in both the "
                    "training and the held-out rows."
                )
            validation_score = partial(
                _neg_log_loss,
                network,
                loss,
                X[held_out],
                encoded.probabilities[held_out],
                sample_weight[held_out],
                encoded.target_type,
            )
        n_rows = X.shape[0] if rows is None else rows.shape[0]
        batch_size = self._batch_size(n_rows)
        mixer = None
        if self.mixup is not None:
            self.mixup._validate_params()
            mixer = TrainingMixer(self.mixup, n_rows)
        max_batch_rows = mixer.rows_out(batch_size) if mixer else batch_size
        if dask_input:  # one chunk at a time, shuffled by the objective itself
            objective = _dask.StreamedObjective(
                network, loss, X, targets, train_weight, self.alpha,
                max_batch_rows=max_batch_rows, shuffle=self.shuffle, rng=state.rng,
            )  # fmt: skip
        else:
            objective = Objective(
                network,
                loss,
                X,
                targets,
                train_weight,
                self.alpha,
                max_batch_rows=max_batch_rows,
            )
        return run_epochs(
            objective,
            theta,
            state,
            rows=rows,
            batch_size=batch_size,
            shuffle=self.shuffle and not dask_input,
            max_iter=self.max_iter,
            tol=self.tol,
            n_iter_no_change=self.n_iter_no_change,
            mixer=mixer,
            validation_score=validation_score,
            incremental=incremental,
            verbose=self.verbose,
        )

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
            [c.shape[0] for c in self.coefs_] + [self.n_outputs_],
            self.hidden_activation_,
        )
        theta = network.pack(self.coefs_, self.intercepts_, dtype=self.coefs_[0].dtype)
        with np.errstate(under="ignore", over="ignore", invalid="ignore"):
            logits = network.forward(X, theta)
        if not np.all(np.isfinite(logits)):
            raise ValueError(
                f"The model's logits overflow {theta.dtype} for this X (largest "
                f"absolute value {float(abs(X).max())!r}); scale X as the training "
                "data were scaled."
            )
        return logits

    def _is_binary_cce(self):
        return self.out_activation_ == "softmax" and self.n_outputs_ == 2

    def decision_function(self, X):
        """Logits of the model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            A Dask array gives a lazy Dask array, chunk by chunk.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, `n_outputs_`)
            Binary problems give one score per sample, positive for
            ``classes_[1]`` (for CCE the difference of the two logits); otherwise
            one logit per output.
        """
        if is_dask(X):
            return _dask.predict_blocks(self, "decision_function", X)
        logits = self._logits(X)
        if self._is_binary_cce():
            return logits[:, 1] - logits[:, 0]
        if self.n_outputs_ == 1 and self.target_type_ != MULTILABEL:
            return logits[:, 0]
        return logits

    def predict(self, X):
        """Predict class labels, or label indicators for multi-label targets.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            A Dask array gives a lazy Dask array, chunk by chunk.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
            ``classes_`` of the highest probability; for multi-label targets the
            0/1 matrix of marginals above 0.5.
        """
        if is_dask(X):
            return _dask.predict_blocks(self, "predict", X)
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
            A Dask array gives a lazy Dask array, chunk by chunk.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            CCE: the softmax. BCE: ``[1 - p, p]`` for binary problems, the
            independent marginals for multi-label targets, and the sigmoids
            normalised to sum to 1 for multiclass targets (as one-vs-rest does).
        """
        if is_dask(X):
            return _dask.predict_blocks(self, "predict_proba", X)
        log_proba = self._log_proba(X)
        return np.exp(log_proba).astype(self.coefs_[0].dtype, copy=False)

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`, computed stably from the logits.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        if is_dask(X):
            return _dask.predict_blocks(self, "predict_log_proba", X)
        return self._log_proba(X).astype(self.coefs_[0].dtype, copy=False)

    def _log_proba(self, X):
        """Log-probabilities in float64, whatever the model's dtype: the
        normalisation of float32 logits of large magnitude would otherwise leave
        rows that miss 1 by up to 1e-3."""
        logits = self._logits(X).astype(np.float64, copy=False)
        with np.errstate(under="ignore"):
            return HEADS[self.out_activation_].predict_log_proba(
                logits, self.target_type_
            )

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
            # A difference of the two softmax units: a new array, which writes
            # could not reach the model through, so it is read-only.
            coef, intercept = weights[1:] - weights[:1], bias[1:] - bias[:1]
            coef.flags.writeable = intercept.flags.writeable = False
            return coef, intercept
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


def _same_classes(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and bool(np.all(a == b))


def _neg_log_loss(network, head, X, probabilities, sample_weight, target_type, theta):
    """Early stopping's score: minus the soft-label log loss (NaN if diverged)."""
    logits = network.forward(X, theta).astype(np.float64)
    if not np.all(np.isfinite(logits)):
        return np.nan
    proba = np.exp(head.predict_log_proba(logits, target_type))
    return -soft_log_loss(
        probabilities,
        proba,
        sample_weight=sample_weight,
        labels=np.arange(probabilities.shape[1]),
        multilabel=target_type == MULTILABEL,
    )
