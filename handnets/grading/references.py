"""Derived results a key may refer to: expected answers computed by the engines, never typed.

``derived("lstm.cbar_t")`` is the derivation engine's cbar_t, ``derived("params.classifier.lstm")``
the parameter count of the Keras classifier's LSTM read from its model code, and so on. Each result
is computed once per process. ``definitions_for("lstm")`` is the mapping a grader substitutes into
both sides before judging (the forward pass and every adjoint relation of the derivation).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from types import MappingProxyType
from typing import Any

from handnets.errors import InvalidKey

__all__ = ["derived", "definitions_for", "known_references", "known_definitions"]


# ------------------------------------------------------------------------------ derivations


def _equation(function: str, name: str) -> Callable[[], Any]:
    """The derivation engine's equation ``name`` from ``handnets.derive.<module>:<derive_*>``."""

    def compute():
        from importlib import import_module

        module, _, derive = function.partition(":")
        return getattr(import_module(f"handnets.derive.{module}"), derive)().equation(name)

    return compute


# --------------------------------------------------------------------------- parameter counts



@cache
def _classifier():
    from handnets.params import summarize_code
    from handnets.params.catalogue import KERAS_CLASSIFIER

    return summarize_code(KERAS_CLASSIFIER, framework="keras")


def _classifier_layers(kind: str) -> int:
    return sum(row.trainable + row.non_trainable for row in _classifier().rows if row.layer.kind == kind)


def _rnn_20_128_10() -> int:
    from handnets.params import count_parameters

    return count_parameters("SimpleRNN(128)", input_shape=(None, 20)) + count_parameters("Dense(10)", input_shape=(128,))


def _conv_params() -> int:
    from handnets.params import count_parameters

    return count_parameters("Conv2D(8, 5)", input_shape=(32, 32, 3))


def _conv_output_shape() -> tuple[int, ...]:
    from handnets.params import summarize_code

    return tuple(summarize_code("Conv2D(8, 5)", framework="keras", input_shape=(32, 32, 3)).rows[0].output_shape)


def _resnet(which: str) -> Callable[[], Any]:
    def compute():
        from handnets.cnn import p5_resnet

        block = p5_resnet()
        return tuple(tuple(row) for row in (block.a1 if which == "a1" else block.a2))

    return compute


def _resnet_variant(which: str) -> Callable[[], Any]:
    """Classic wrong a^[l+1], a^[l+2] of problem P5, computed by the same block code with one step changed."""

    def compute():
        from handnets.cnn.grid import relu
        from handnets.cnn.resnet import resnet_block

        block = _p5_block()
        if which == "no_relu":
            matrix = block.steps[0].output  # z^[l+1]: the ReLU forgotten
        elif which == "no_skip":
            matrix = relu(block.steps[2].output).output  # ReLU(z^[l+2]): the skip connection forgotten
        elif which == "transposed_filter":
            w2 = tuple(zip(*block.w2))
            matrix = resnet_block(block.x, block.w1, w2, padding=block.padding, stride=block.stride).a2
        elif which in ("a1_transposed", "a2_transposed"):
            matrix = tuple(zip(*(block.a1 if which == "a1_transposed" else block.a2)))
        else:
            raise ValueError(which)
        return tuple(tuple(row) for row in matrix)

    return compute


def _p5_block():
    from handnets.cnn import p5_resnet

    return p5_resnet()


def _resnet_after_relu() -> Any:
    from handnets.cnn import p5_resnet

    return tuple(tuple(row) for row in p5_resnet("after_relu").a2)


# The VGG-like network of the homework's seed 002 (its diagram is lost): the architecture the key's prompt states.
VGG_LIKE_KERAS = """\
model = keras.Sequential([
    keras.Input(shape=(224, 224, 3)),
    layers.Conv2D(64, 3, strides=1, padding="same", activation="relu"),
    layers.MaxPooling2D(pool_size=2, strides=2),
    layers.Conv2D(128, 3, strides=1, padding="same", activation="relu"),
    layers.MaxPooling2D(pool_size=2, strides=2),
    layers.Conv2D(256, 3, strides=1, padding="same", activation="relu"),
    layers.MaxPooling2D(pool_size=2, strides=2),
    layers.Conv2D(512, 3, strides=1, padding="same", activation="relu"),
    layers.MaxPooling2D(pool_size=2, strides=2),
    layers.Flatten(),
    layers.Dense(4096, activation="relu"),
    layers.Dense(4096, activation="relu"),
    layers.Dense(1000, activation="softmax"),
])
"""


def _vgg_like() -> int:
    from handnets.params import summarize_code

    return summarize_code(VGG_LIKE_KERAS, framework="keras").total


def _ce_step_loss() -> Any:
    from handnets.derive.lstm import ce_step_loss_cbar

    return ce_step_loss_cbar()


def _vgg16() -> int:
    from handnets.params import summarize_code
    from handnets.params.catalogue import VGG16_KERAS

    return summarize_code(VGG16_KERAS, framework="keras").total


# A 4x4 feature map for the pooling questions (2x2 windows, stride 2).
POOLING_INPUT = ((1, 3, 2, 1), (4, 6, 5, 0), (3, 1, 1, 2), (0, 2, 4, 8))


def _pool(which: str) -> Callable[[], Any]:
    def compute():
        from handnets.cnn.grid import avg_pool, from_ints, max_pool

        pool = max_pool if which == "max" else avg_pool
        return tuple(tuple(row) for row in pool(from_ints(POOLING_INPUT), 2, 2).output)

    return compute


def _asymptotics(network: str, quantity: str) -> Callable[[], Any]:
    def compute():
        from handnets.params.asymptotics import MDRNN, PIXELCNN, analyse

        result = analyse(PIXELCNN if network == "pixelcnn" else MDRNN)
        return result.connections_order if quantity == "connections" else result.steps_order

    return compute


_REFERENCES: Mapping[str, Callable[[], Any]] = MappingProxyType(
    {
        **{f"lstm.{n}": _equation("lstm:derive_lstm", n) for n in ("hbar_t", "cbar_t", "gbar_t", "obar_t", "fbar_t", "ibar_t", "w_xi_bar")},
        **{f"lstm_ce.{n}": _equation("lstm:derive_lstm_ce", n) for n in ("cbar_t", "obar_t", "ibar_t", "fbar_t", "cbar_t_no_recurrent")},
        **{f"recurrence.{n}": _equation("recurrence:derive_recurrence", n) for n in ("c_t_from_c_prev2", "cbar_prev2", "c_t_forget_zero")},
        "params.rnn_20_128_10": _rnn_20_128_10,
        "params.classifier.embedding": lambda: _classifier_layers("embedding"),
        "params.classifier.lstm": lambda: _classifier_layers("lstm"),
        "params.classifier.dense": lambda: _classifier_layers("dense"),
        "params.classifier.total": lambda: _classifier().total,
        "conv.params": _conv_params,
        "conv.output_shape": _conv_output_shape,
        "resnet.a_l1": _resnet("a1"),
        "resnet.a_l2": _resnet("a2"),
        "resnet.a_l2_after_relu": _resnet_after_relu,
        **{f"resnet.{n}": _resnet_variant(n) for n in ("no_relu", "no_skip", "transposed_filter", "a1_transposed", "a2_transposed")},
        "params.vgg16": _vgg16,
        "params.vgg_like": _vgg_like,
        "lstm_ce.cbar_t_step_loss": _ce_step_loss,
        "pooling.max": _pool("max"),
        "pooling.avg": _pool("avg"),
        "asymptotics.pixelcnn.connections": _asymptotics("pixelcnn", "connections"),
        "asymptotics.pixelcnn.steps": _asymptotics("pixelcnn", "steps"),
        "asymptotics.mdrnn.connections": _asymptotics("mdrnn", "connections"),
        "asymptotics.mdrnn.steps": _asymptotics("mdrnn", "steps"),
    }
)


def known_references() -> tuple[str, ...]:
    return tuple(_REFERENCES)


@cache
def derived(name: str) -> Any:
    """The engine's value for a derived result, computed once per process.

    >>> derived("params.classifier.lstm")
    6272
    """
    try:
        compute = _REFERENCES[name]
    except KeyError:
        raise InvalidKey(f"unknown derived result {name!r}; known: {', '.join(_REFERENCES)}", field="expected") from None
    return compute()


# ------------------------------------------------------------------------------- definitions


def _lstm_definitions():
    from handnets.derive.lstm import grading_definitions

    return grading_definitions()


def _lstm_ce_definitions():
    from handnets.derive.lstm import grading_ce_definitions

    return grading_ce_definitions()


def _lstm_gate_definitions():
    from handnets.derive.lstm import gate_definitions

    return gate_definitions((-2, -1, 0, 1))


# "lstm": the forward pass at t-1, t, t+1 and every adjoint relation at t and t+1 (handnets.derive.lstm);
# "lstm_ce": the same with the sigmoid output and its cross-entropy; "lstm_gates": the four gates at
# t-2, t-1, t, t+1 and nothing else, for the recurrences (whose answers must keep c_{t-2}, so the cell
# state is not defined there: c_t = f_t c_prev + i_t g_t would make the one-step answer right).
_DEFINITIONS: Mapping[str, Callable[[], Mapping]] = MappingProxyType(
    {"lstm": _lstm_definitions, "lstm_ce": _lstm_ce_definitions, "lstm_gates": _lstm_gate_definitions}
)


def known_definitions() -> tuple[str, ...]:
    return tuple(_DEFINITIONS)


@cache
def definitions_for(name: str) -> Mapping:
    """The definitions set ``name`` (symbol -> expression), computed once per process."""
    try:
        return MappingProxyType(dict(_DEFINITIONS[name]()))
    except KeyError:
        raise InvalidKey(f"unknown definitions {name!r}; known: {', '.join(_DEFINITIONS)}", field="definitions") from None
