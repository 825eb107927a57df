"""Merging boosted one-hidden-layer networks into one network (GBNN).

Stage ``t`` adds ``learning_rate * rho_t * (g(X W1_t + b1_t) W2_t + b2_t)`` to the raw score.
Placing every stage's hidden units side by side gives one hidden layer of ``sum J_t`` units with
input weights ``[W1_1 ... W1_T]`` and biases ``[b1_1 ... b1_T]``; the output layer stacks the
scaled ``learning_rate * rho_t * W2_t`` and its bias is ``init + sum_t learning_rate * rho_t *
b2_t``. The sum of the stages is then one forward pass, equal up to floating-point rounding.
"""

from __future__ import annotations

import numpy as np
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.validation import check_is_fitted


def _check_stages(model) -> str:
    check_is_fitted(model, "estimators_")
    activations = set()
    for i, learner in enumerate(model.estimators_):
        if type(learner) is not MLPRegressor:
            found = f"a {type(learner).__name__}"
        elif len(learner.coefs_) != 2:
            found = f"an MLPRegressor with {len(learner.coefs_) - 1} hidden layers"
        else:
            found = ""
        if found:
            raise ValueError(
                f"merge_mlp_stages needs every base learner to be an MLPRegressor with one hidden "
                f"layer; stage {i} is {found}"
            )
        activations.add(learner.activation)
    if len(activations) != 1:
        raise ValueError(
            f"merge_mlp_stages needs one activation in all stages; found {sorted(activations)}"
        )
    return activations.pop()


def merge_mlp_stages(model):
    """One scikit-learn network whose output equals a boosted model of one-hidden-layer MLPs.

    Parameters
    ----------
    model : GradientBoostingRegressor or GradientBoostingClassifier
        Fitted, with an ``MLPRegressor`` of one hidden layer and the same activation at every
        stage (the default base learner qualifies).

    Returns
    -------
    MLPRegressor or MLPClassifier
        For a regressor, an ``MLPRegressor`` whose ``predict`` equals the model's. For a
        classifier, an ``MLPClassifier`` (logistic output for two classes, softmax for more)
        whose pre-activation output equals the model's ``decision_function`` and whose
        ``predict_proba`` and ``predict`` equal the model's. Its hidden layer has
        ``sum`` of the stages' hidden units; learning rate and line-search steps are folded into
        the output layer. It is ready to predict, not to continue training
        (``warm_start`` would start from these weights, but with no optimiser state).

    Raises
    ------
    ValueError
        When a stage is not a one-hidden-layer ``MLPRegressor`` or activations differ.
    """
    activation = _check_stages(model)
    scale = model.learning_rate * np.asarray(model.steps_, dtype=np.float64)
    n_outputs = int(np.size(model.init_raw_))
    input_weights, hidden_bias, output_weights = [], [], []
    output_bias = np.array(model.init_raw_, dtype=np.float64).reshape(n_outputs)
    for learner, s in zip(model.estimators_, scale):
        w1, w2 = learner.coefs_
        b1, b2 = learner.intercepts_
        input_weights.append(w1)
        hidden_bias.append(b1)
        output_weights.append(s * w2.reshape(w2.shape[0], n_outputs))
        output_bias = output_bias + s * b2.reshape(n_outputs)
    coefs = [np.hstack(input_weights), np.vstack(output_weights)]
    intercepts = [np.concatenate(hidden_bias), output_bias]
    n_hidden = coefs[0].shape[1]

    is_classifier = hasattr(model, "classes_")
    cls = MLPClassifier if is_classifier else MLPRegressor
    net = cls(hidden_layer_sizes=(n_hidden,), activation=activation)
    net.coefs_ = coefs
    net.intercepts_ = intercepts
    net.n_features_in_ = model.n_features_in_
    if hasattr(model, "feature_names_in_"):
        net.feature_names_in_ = model.feature_names_in_
    net.n_layers_ = 3
    net.n_outputs_ = n_outputs
    net.n_iter_ = 0
    net.t_ = 0
    if is_classifier:
        net.classes_ = model.classes_
        net._label_binarizer = LabelBinarizer().fit(model.classes_)
        net.out_activation_ = "logistic" if n_outputs == 1 else "softmax"
    else:
        net.out_activation_ = "identity"
    return net
