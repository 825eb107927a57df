"""Gradient boosting of any scikit-learn regressor; by default small neural networks (GBNN).

Each stage fits a clone of the base regressor to the pseudo-residuals (the negative gradient of
the loss) on a subsample drawn without replacement, then moves the model along that regressor's
output by ``learning_rate * rho``, with ``rho`` from the line search of :mod:`.losses`. With the
default base learner, a multilayer perceptron with one hidden unit, this is the sequential
training of Emami and Martinez-Munoz (IEEE Access, 2023), and :func:`.merge.merge_mlp_stages`
turns the fitted stages into one network.
"""

from __future__ import annotations

import copy
import numbers
import warnings
from collections import deque
from collections.abc import Iterator

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone, is_regressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.multioutput import MultiOutputRegressor
from sklearn.neural_network import MLPRegressor
from sklearn.utils import check_random_state, get_tags
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    has_fit_parameter,
    validate_data,
)

from .losses import CLASSIFICATION_LOSSES, REGRESSION_LOSSES, get_loss

LINE_SEARCHES = ("newton", "none")


def default_base_estimator() -> MLPRegressor:
    """The base learner used when ``base_estimator=None``: one hidden unit, as in GBNN.

    L-BFGS is the fastest solver for such small networks on a few thousand rows (no learning
    rate to tune, no mini-batches); 200 iterations are plenty for one unit, and the hyperbolic
    tangent keeps the unit from dying as a ReLU unit can.
    """
    return MLPRegressor(
        hidden_layer_sizes=(1,), activation="tanh", solver="lbfgs", alpha=1e-4, max_iter=200
    )


def _check_param(name: str, value, valid: bool, expected: str) -> None:
    if not valid:
        raise ValueError(f"{name}={value!r} is not valid; expected {expected}")


class _BaseGradientBoosting(BaseEstimator):
    """The boosting loop shared by the regressor and the classifier."""

    _valid_losses: tuple[str, ...] = ()

    def __init__(
        self,
        base_estimator=None,
        loss="squared_error",
        n_estimators=100,
        learning_rate=0.1,
        subsample=1.0,
        line_search="newton",
        validation_fraction=None,
        n_iter_no_change=None,
        alpha=0.9,
        random_state=None,
    ):
        self.base_estimator = base_estimator
        self.loss = loss
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.subsample = subsample
        self.line_search = line_search
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.alpha = alpha
        self.random_state = random_state

    # -- parameters -------------------------------------------------------------------------

    def _check_params(self) -> None:
        _check_param(
            "loss", self.loss, self.loss in self._valid_losses, f"one of {self._valid_losses}"
        )
        _check_param(
            "n_estimators",
            self.n_estimators,
            isinstance(self.n_estimators, numbers.Integral) and self.n_estimators >= 1,
            "an integer >= 1",
        )
        _check_param(
            "learning_rate",
            self.learning_rate,
            isinstance(self.learning_rate, numbers.Real) and self.learning_rate > 0,
            "a number > 0",
        )
        _check_param(
            "subsample",
            self.subsample,
            isinstance(self.subsample, numbers.Real) and 0 < self.subsample <= 1,
            "a number in (0, 1]",
        )
        _check_param(
            "line_search",
            self.line_search,
            self.line_search in LINE_SEARCHES,
            f"one of {LINE_SEARCHES}",
        )
        vf = self.validation_fraction
        _check_param(
            "validation_fraction",
            vf,
            vf is None or (isinstance(vf, numbers.Real) and 0 < vf < 1),
            "None or a number in (0, 1)",
        )
        nc = self.n_iter_no_change
        _check_param(
            "n_iter_no_change",
            nc,
            nc is None or (isinstance(nc, numbers.Integral) and nc >= 1),
            "None or an integer >= 1",
        )
        _check_param(
            "alpha",
            self.alpha,
            isinstance(self.alpha, numbers.Real) and 0 < self.alpha < 1,
            "a number in (0, 1)",
        )

    def _base(self, multi_output: bool):
        if self.base_estimator is None:
            base = default_base_estimator()
        else:
            base = self.base_estimator
            if not is_regressor(base):
                raise ValueError(
                    f"base_estimator={type(base).__name__}(...) is not a scikit-learn regressor; "
                    "pass a regressor "
                    "(is_regressor(estimator) must be True) or None for a one-unit MLPRegressor"
                )
        # MLPRegressor fits several outputs natively, though its tags do not declare it.
        native = get_tags(base).target_tags.multi_output or isinstance(base, MLPRegressor)
        if multi_output and not native:
            # One model per class, fitted together: still one base learner per stage.
            base = MultiOutputRegressor(base)
        return base

    # -- the loop ---------------------------------------------------------------------------

    def _encode_targets(self, y: np.ndarray) -> np.ndarray:
        return y.astype(np.float64)

    def _n_classes(self) -> int:
        return 0

    def _fit_boosting(self, X, y, sample_weight):
        self._check_params()
        w = _check_sample_weight(sample_weight, X, dtype=np.float64)
        target = self._encode_targets(y)
        loss = get_loss(self.loss, self._n_classes(), self.alpha)
        rng = check_random_state(self.random_state)
        multi_output = target.ndim == 2
        base = self._base(multi_output)
        uniform = bool(np.all(w == w[0]))
        if not uniform and not has_fit_parameter(base, "sample_weight"):
            raise ValueError(
                f"base_estimator={type(base).__name__}(...) does not take sample_weight in fit; "
                "pass a regressor "
                "that does, or no sample_weight"
            )
        has_seed = "random_state" in base.get_params()

        X_val = None
        vf = self.validation_fraction
        if vf is None and self.n_iter_no_change is not None:
            vf = 0.1
        if vf is not None:
            stratify = y if self._n_classes() else None
            X, X_val, target, t_val, w, w_val = train_test_split(
                X,
                target,
                w,
                test_size=vf,
                stratify=stratify,
                random_state=rng.randint(np.iinfo(np.int32).max),
            )

        n = X.shape[0]
        self.init_raw_ = loss.init_raw(target, w)
        raw = np.broadcast_to(self.init_raw_, target.shape).astype(np.float64)
        raw_val = None if X_val is None else np.broadcast_to(self.init_raw_, t_val.shape).copy()
        n_in_bag = max(2, int(round(self.subsample * n))) if self.subsample < 1 else n
        self.estimators_, steps, train_loss, val_loss = [], [], [], []
        best, since_best = np.inf, 0
        for _ in range(self.n_estimators):
            seed = rng.randint(np.iinfo(np.int32).max)
            rows = np.sort(rng.choice(n, n_in_bag, replace=False)) if n_in_bag < n else None
            t_in, raw_in, w_in = (
                (target, raw, w) if rows is None else (target[rows], raw[rows], w[rows])
            )
            X_in = X if rows is None else X[rows]
            loss.prepare(t_in, raw_in, w_in)
            residual = loss.negative_gradient(t_in, raw_in)
            learner = clone(base)
            if has_seed:
                learner.set_params(random_state=seed)
            fit_kw = {} if uniform else {"sample_weight": w_in}
            with warnings.catch_warnings():
                if self.base_estimator is None:
                    # One hidden unit rarely meets L-BFGS's tolerance in max_iter; the stage is
                    # still a useful direction, and the line search scales it.
                    warnings.simplefilter("ignore", ConvergenceWarning)
                learner.fit(X_in, residual, **fit_kw)
            h = learner.predict(X).reshape(raw.shape)
            # The step is searched on all training rows, not only the drawn ones: a network can
            # separate the rows it was fitted on, and the exact step on those alone then grows
            # without bound (breast cancer, subsample=0.5: accuracy 0.92-0.95 against 0.97-0.98).
            rho = loss.step(target, raw, h, w) if self.line_search == "newton" else 1.0
            raw = raw + self.learning_rate * rho * h
            self.estimators_.append(learner)
            steps.append(rho)
            train_loss.append(loss(target, raw, w))
            if raw_val is not None:
                raw_val += self.learning_rate * rho * learner.predict(X_val).reshape(raw_val.shape)
                val_loss.append(loss(t_val, raw_val, w_val))
                if val_loss[-1] < best:
                    best, since_best = val_loss[-1], 0
                else:
                    since_best += 1
                if self.n_iter_no_change is not None and since_best >= self.n_iter_no_change:
                    break
        self.steps_ = np.asarray(steps)
        self.train_loss_ = np.asarray(train_loss)
        self.validation_loss_ = np.asarray(val_loss) if raw_val is not None else None
        self.n_estimators_ = len(self.estimators_)
        if self.n_iter_no_change is not None and raw_val is not None:
            # Keep the stages up to the best validation loss, not the ones that overshot it.
            k = int(np.argmin(self.validation_loss_)) + 1
            self._keep(k)
        return self

    def _keep(self, k: int) -> None:
        self.estimators_ = self.estimators_[:k]
        self.steps_ = self.steps_[:k]
        self.train_loss_ = self.train_loss_[:k]
        if self.validation_loss_ is not None:
            self.validation_loss_ = self.validation_loss_[:k]
        self.n_estimators_ = k

    # -- prediction -------------------------------------------------------------------------

    def _staged_raw(self, X) -> Iterator[np.ndarray]:
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        shape = (X.shape[0],) + np.shape(self.init_raw_)
        raw = np.broadcast_to(self.init_raw_, shape).astype(np.float64)
        for learner, rho in zip(self.estimators_, self.steps_):
            raw = raw + self.learning_rate * rho * learner.predict(X).reshape(shape)
            yield raw

    def _raw_predict(self, X) -> np.ndarray:
        # Only the last stage's sum is kept, not every stage's.
        return deque(self._staged_raw(X), maxlen=1)[0]

    def truncate(self, k: int):
        """A copy holding the first ``k`` stages: the model that fitting with
        ``n_estimators=k`` (and the same ``random_state``) gives.

        Parameters
        ----------
        k : int
            Number of stages to keep, 1 to ``n_estimators_``.

        Returns
        -------
        estimator
            A new estimator of the same class; it shares the fitted base learners.
        """
        check_is_fitted(self)
        if not (isinstance(k, numbers.Integral) and 1 <= k <= self.n_estimators_):
            raise ValueError(
                f"k={k!r} is not valid; expected an integer in [1, {self.n_estimators_}]"
            )
        model = copy.copy(self)
        model._keep(int(k))
        model.n_estimators = int(k)
        return model

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        return tags


class GradientBoostingRegressor(RegressorMixin, _BaseGradientBoosting):
    """Gradient boosting of a scikit-learn regressor (by default a one-unit neural network).

    Parameters
    ----------
    base_estimator : regressor or None, default=None
        Cloned and fitted at every stage to the pseudo-residuals. None: an ``MLPRegressor``
        with one hidden unit (tanh), L-BFGS, ``alpha=1e-4``, ``max_iter=200``
        (:func:`default_base_estimator`); its convergence warnings are silenced.
    loss : {"squared_error", "absolute_error", "huber"}, default="squared_error"
        Loss to minimise. Huber's threshold is the ``alpha`` quantile of the absolute residuals
        at each stage.
    n_estimators : int, default=100
        Number of stages (base learners).
    learning_rate : float, default=0.1
        Multiplies every stage's step.
    subsample : float, default=1.0
        Fraction of the training rows, drawn without replacement, that each stage is fitted on
        (the line search uses all training rows).
    line_search : {"newton", "none"}, default="newton"
        ``"newton"``: the step ``rho`` minimises the loss along the stage's output (closed form
        for squared error, a weighted median for absolute error, safeguarded Newton iterations
        for Huber); ``"none"``: ``rho = 1``.
    validation_fraction : float or None, default=None
        Fraction of the rows held out (not trained on) to record ``validation_loss_`` after
        every stage. With ``n_iter_no_change`` and no fraction, 0.1 is held out.
    n_iter_no_change : int or None, default=None
        Stop when the validation loss has not improved for this many stages, and keep the
        stages up to its minimum.
    alpha : float, default=0.9
        Quantile of the absolute residuals that sets Huber's threshold.
    random_state : int, RandomState or None, default=None
        Seeds the subsamples, the validation split and each base learner's ``random_state``.

    Attributes
    ----------
    estimators_ : list of regressors
        The fitted base learners, in order.
    steps_ : ndarray of shape (n_estimators_,)
        The line-search steps ``rho``; stage ``t`` adds ``learning_rate * steps_[t]`` times its
        learner's output.
    init_raw_ : ndarray of shape ()
        The starting constant (mean, or median for absolute error and Huber).
    n_estimators_ : int
        Number of stages kept (fewer than ``n_estimators`` after early stopping).
    train_loss_, validation_loss_ : ndarray or None
        Loss after each stage on the training rows and on the held-out rows.
    """

    _valid_losses = REGRESSION_LOSSES

    def fit(self, X, y, sample_weight=None):
        """Fit the stages.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), optional
            Weights of the loss, passed to each base learner's ``fit``.

        Returns
        -------
        self
        """
        X, y = validate_data(self, X, y, y_numeric=True)
        return self._fit_boosting(X, y, sample_weight)

    def predict(self, X) -> np.ndarray:
        """Predicted targets, shape (n_samples,)."""
        return self._raw_predict(X)

    def staged_predict(self, X) -> Iterator[np.ndarray]:
        """Predictions after each stage (a generator of ``n_estimators_`` arrays)."""
        yield from self._staged_raw(X)


class GradientBoostingClassifier(ClassifierMixin, _BaseGradientBoosting):
    """Gradient boosting of a scikit-learn regressor for classification.

    Two classes: one raw score (log-odds) and the logistic loss. More classes: ``k`` raw scores,
    the multinomial loss, and at each stage one multi-output base learner fitted to the
    ``(n, k)`` residual matrix (regressors without multi-output support are wrapped in
    ``MultiOutputRegressor``), with one Newton step for all ``k`` outputs.

    Parameters
    ----------
    base_estimator : regressor or None, default=None
        As for :class:`GradientBoostingRegressor`.
    loss : {"log_loss"}, default="log_loss"
        Logistic for two classes, multinomial for more.
    n_estimators, learning_rate, subsample, line_search, validation_fraction, \
n_iter_no_change, random_state
        As for :class:`GradientBoostingRegressor`; the line search takes Newton iterations,
        and the validation split is stratified.
    alpha : float, default=0.9
        Unused (Huber's quantile in the regressor); kept for a shared signature.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    estimators_, steps_, n_estimators_, train_loss_, validation_loss_
        As for :class:`GradientBoostingRegressor`.
    init_raw_ : ndarray of shape () or (n_classes,)
        Starting log-odds, or centred log priors.
    """

    _valid_losses = CLASSIFICATION_LOSSES

    def __init__(
        self,
        base_estimator=None,
        loss="log_loss",
        n_estimators=100,
        learning_rate=0.1,
        subsample=1.0,
        line_search="newton",
        validation_fraction=None,
        n_iter_no_change=None,
        alpha=0.9,
        random_state=None,
    ):
        super().__init__(
            base_estimator=base_estimator,
            loss=loss,
            n_estimators=n_estimators,
            learning_rate=learning_rate,
            subsample=subsample,
            line_search=line_search,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            alpha=alpha,
            random_state=random_state,
        )

    def _n_classes(self) -> int:
        return len(self.classes_)

    def _encode_targets(self, y: np.ndarray) -> np.ndarray:
        codes = np.searchsorted(self.classes_, y)
        if len(self.classes_) == 2:
            return codes.astype(np.float64)
        return np.eye(len(self.classes_))[codes]

    def fit(self, X, y, sample_weight=None):
        """Fit the stages.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Class labels (at least two classes).
        sample_weight : array-like of shape (n_samples,), optional

        Returns
        -------
        self
        """
        X, y = validate_data(self, X, y)
        check_classification_targets(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise ValueError(
                f"y has only one class ({self.classes_[0]!r}); a classifier needs at least 2"
            )
        return self._fit_boosting(X, y, sample_weight)

    def decision_function(self, X) -> np.ndarray:
        """Raw scores: log-odds of ``classes_[1]`` (n,) or k scores (n, k)."""
        return self._raw_predict(X)

    def staged_decision_function(self, X) -> Iterator[np.ndarray]:
        """Raw scores after each stage."""
        yield from self._staged_raw(X)

    def _proba(self, raw: np.ndarray) -> np.ndarray:
        if raw.ndim == 1:
            p = 1.0 / (1.0 + np.exp(-raw))
            return np.column_stack([1 - p, p])
        z = np.exp(raw - raw.max(axis=1, keepdims=True))
        return z / z.sum(axis=1, keepdims=True)

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_classes)."""
        return self._proba(self._raw_predict(X))

    def staged_predict_proba(self, X) -> Iterator[np.ndarray]:
        """Class probabilities after each stage."""
        for raw in self._staged_raw(X):
            yield self._proba(raw)

    def predict(self, X) -> np.ndarray:
        """Most probable class labels."""
        proba = self.predict_proba(X)  # first, so that an unfitted model raises NotFittedError
        return self.classes_[np.argmax(proba, axis=1)]

    def staged_predict(self, X) -> Iterator[np.ndarray]:
        """Predicted labels after each stage."""
        for proba in self.staged_predict_proba(X):
            yield self.classes_[np.argmax(proba, axis=1)]
