"""Leaf-value rules for slices of the outputs: each slice turns its leaves' mean gradient
(or Newton step, when hessians are given) into the values the new tree adds.

A tree's leaves are new parameters that no earlier step has seen, so momentum over steps has
nothing to attach to. What does carry over from step to step is the scale of each output's
gradient, and that is what :class:`Adam` tracks: the bias-corrected running mean of the squared
gradient of each output (Adam's second moment), by which it divides every leaf of that output.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _positive(name: str, value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a positive number; got {value!r}") from None
    if not np.isfinite(number) or number <= 0:
        raise ValueError(f"{name} must be a positive finite number; got {value!r}")
    return number


def _index(name: str, value: Any, allow_none: bool) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int >= 0; got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be an int >= 0; got {value!r}")
    return int(value)


class Optimizer:
    """Base class: outputs ``start .. stop - 1`` (``stop=None``: to the last output)."""

    kind = "base"

    def __init__(self, lr: float, start: int = 0, stop: int | None = None) -> None:
        self.lr = _positive("lr", lr)
        self.start = _index("start", start, allow_none=False)
        self.stop = _index("stop", stop, allow_none=True)
        if self.stop is not None and self.stop <= self.start:
            raise ValueError(f"stop must be greater than start; got start={start!r}, stop={stop!r}")

    def bound(self, n_outputs: int) -> tuple[int, int]:
        stop = n_outputs if self.stop is None else self.stop
        return self.start, stop

    def observe(self, grad: np.ndarray) -> None:
        """See one batch's gradients of this slice, (n, width), before its leaves are set."""

    def values(self, direction: np.ndarray) -> np.ndarray:
        """Node values from mean gradients (or Newton steps) ``direction`` (nodes, width)."""
        raise NotImplementedError

    def state(self) -> dict:
        return {"kind": self.kind, "lr": self.lr, "start": self.start, "stop": self.stop}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lr={self.lr!r}, start={self.start}, stop={self.stop})"


class SGD(Optimizer):
    """Plain gradient step: each leaf adds ``-lr * mean gradient`` (``-lr * G / H`` with
    hessians), the fit of one boosting round with learning rate ``lr`` and no regularisation."""

    kind = "sgd"

    def values(self, direction: np.ndarray) -> np.ndarray:
        return -self.lr * direction


class Adam(Optimizer):
    """SGD divided by a running root-mean-square of each output's gradient (Adam's second
    moment, bias-corrected): ``-lr * direction / (sqrt(v_hat) + eps)``, so the step size does
    not depend on the gradient's scale (value targets that grow as returns grow, for example).
    """

    kind = "adam"

    def __init__(
        self,
        lr: float,
        start: int = 0,
        stop: int | None = None,
        beta2: float = 0.999,
        eps: float = 1e-8,
    ) -> None:
        super().__init__(lr, start, stop)
        self.beta2 = float(beta2)
        if not 0.0 <= self.beta2 < 1.0:
            raise ValueError(f"beta2 must be in [0, 1); got {beta2!r}")
        self.eps = _positive("eps", eps)
        self.t = 0
        self.second_moment: np.ndarray | None = None

    def observe(self, grad: np.ndarray) -> None:
        mean_square = np.mean(np.square(grad, dtype=np.float64), axis=0)
        if self.second_moment is None:
            self.second_moment = np.zeros_like(mean_square)
        self.t += 1
        self.second_moment = self.beta2 * self.second_moment + (1.0 - self.beta2) * mean_square

    def values(self, direction: np.ndarray) -> np.ndarray:
        if self.second_moment is None:
            return -self.lr * direction
        v_hat = self.second_moment / (1.0 - self.beta2**self.t)
        return -self.lr * direction / (np.sqrt(v_hat) + self.eps)

    def state(self) -> dict:
        moment = None if self.second_moment is None else self.second_moment.tolist()
        return {
            **super().state(),
            "beta2": self.beta2,
            "eps": self.eps,
            "t": self.t,
            "second_moment": moment,
        }

    def __repr__(self) -> str:
        return (
            f"Adam(lr={self.lr!r}, start={self.start}, stop={self.stop}, beta2={self.beta2!r}, "
            f"eps={self.eps!r})"
        )


KINDS = {"sgd": SGD, "adam": Adam}


def optimizer_from_state(state: dict) -> Optimizer:
    """Rebuild an optimizer (with its running state) from :meth:`Optimizer.state`."""
    kind = state.get("kind")
    if kind not in KINDS:
        raise ValueError(f"optimizer kind {kind!r} is not valid; valid: {', '.join(KINDS)}")
    if kind == "sgd":
        return SGD(state["lr"], state["start"], state["stop"])
    opt = Adam(state["lr"], state["start"], state["stop"], state["beta2"], state["eps"])
    opt.t = int(state["t"])
    if state["second_moment"] is not None:
        opt.second_moment = np.asarray(state["second_moment"], dtype=np.float64)
    return opt


def resolve_optimizers(optimizers: Any, n_outputs: int) -> list[Optimizer]:
    """Validate ``optimizers`` (one Optimizer, or a list of them) against ``n_outputs``: the
    slices must not overlap and must cover every output."""
    if optimizers is None:
        optimizers = SGD(0.1)
    if isinstance(optimizers, Optimizer):
        optimizers = [optimizers]
    if not isinstance(optimizers, (list, tuple)) or not optimizers:
        raise TypeError(
            f"optimizers must be an Optimizer (SGD, Adam) or a non-empty list of them; "
            f"got {optimizers!r}"
        )
    owner = [-1] * n_outputs
    for i, opt in enumerate(optimizers):
        if not isinstance(opt, Optimizer):
            raise TypeError(f"optimizers[{i}] must be an Optimizer (SGD, Adam); got {opt!r}")
        start, stop = opt.bound(n_outputs)
        if stop > n_outputs or start >= n_outputs:
            raise ValueError(
                f"optimizers[{i}]={opt!r} covers outputs {start}..{stop - 1}; valid outputs "
                f"are 0..{n_outputs - 1}"
            )
        for c in range(start, stop):
            if owner[c] >= 0:
                raise ValueError(
                    f"optimizers[{i}]={opt!r} overlaps optimizers[{owner[c]}] at output {c}; "
                    f"each output needs exactly one optimizer"
                )
            owner[c] = i
    missing = [c for c in range(n_outputs) if owner[c] < 0]
    if missing:
        raise ValueError(
            f"optimizers={list(optimizers)!r} leave outputs {missing} without an optimizer; "
            f"each of outputs 0..{n_outputs - 1} needs exactly one"
        )
    return list(optimizers)
