"""Output shapes of convolution and pooling, with floor division exactly as the frameworks do it.

PyTorch (``torch.nn.Conv2d``, ``MaxPool2d``) computes
``floor((n + 2p - d(k - 1) - 1) / s) + 1`` per spatial axis; with ``ceil_mode=True`` pooling uses
the ceiling instead, and drops the last window if it would start in the right padding. Keras
``padding='valid'`` is the same with ``p = 0``; ``padding='same'`` gives ``ceil(n / s)``
(PyTorch allows ``'same'`` only with stride 1, where it is ``n``). With ``d = 1`` and ``p`` the
padding this is the textbook ``(W - F + 2P)/S + 1``.
"""

from __future__ import annotations

from collections.abc import Sequence

from handnets.errors import InvalidSpec

__all__ = ["conv_output_length", "conv_output_shape", "OUTPUT_LENGTH_RULE", "SAME_RULE"]

Padding = int | str

OUTPUT_LENGTH_RULE = "floor((n + 2p - d(k - 1) - 1) / s) + 1"
SAME_RULE = "ceil(n / s)"


def conv_output_length(
    n: int,
    kernel: int,
    *,
    stride: int = 1,
    padding: Padding = 0,
    dilation: int = 1,
    ceil_mode: bool = False,
    framework: str = "pytorch",
) -> int:
    """Length of one spatial axis after a convolution or pooling window slides over it.

    >>> conv_output_length(32, 5), conv_output_length(224, 2, stride=2), conv_output_length(7, 3, stride=2, padding="same", framework="keras")
    (28, 112, 4)
    """
    for label, value, least in (("input length", n, 1), ("kernel size", kernel, 1), ("stride", stride, 1), ("dilation", dilation, 1)):
        if not isinstance(value, int) or isinstance(value, bool) or value < least:
            raise InvalidSpec(f"{label} must be an integer >= {least}, got {value!r}")
    if padding == "same":
        if framework == "pytorch" and stride != 1:
            raise InvalidSpec(f"PyTorch allows padding='same' only with stride 1, got stride {stride}")
        return -(-n // stride)  # ceil(n / s): the frameworks pad as much as that takes
    if padding == "valid":
        padding = 0
    if not isinstance(padding, int) or isinstance(padding, bool) or padding < 0:
        raise InvalidSpec(f"padding must be 'valid', 'same' or an integer >= 0, got {padding!r}")
    span = dilation * (kernel - 1) + 1
    room = n + 2 * padding - span
    if room < 0:
        raise InvalidSpec(f"a window of {span} does not fit an input of {n} with padding {padding}")
    if not ceil_mode:
        return room // stride + 1
    length = -(-room // stride) + 1
    # PyTorch: the last window must start inside the input or the left padding.
    if (length - 1) * stride >= n + padding:
        length -= 1
    return length


def conv_output_shape(
    spatial: Sequence[int],
    kernel: Sequence[int],
    *,
    stride: Sequence[int] | None = None,
    padding: Padding | Sequence[int] = 0,
    dilation: Sequence[int] | None = None,
    ceil_mode: bool = False,
    framework: str = "pytorch",
) -> tuple[int, ...]:
    """Spatial output shape, one axis at a time (``padding`` an int, a tuple, ``'valid'`` or ``'same'``).

    >>> conv_output_shape((32, 32), (5, 5))
    (28, 28)
    """
    rank = len(spatial)
    stride = tuple(stride) if stride is not None else (1,) * rank
    dilation = tuple(dilation) if dilation is not None else (1,) * rank
    paddings = (padding,) * rank if isinstance(padding, (int, str)) else tuple(padding)
    if not (len(kernel) == len(stride) == len(dilation) == len(paddings) == rank):
        raise InvalidSpec(f"kernel, stride, padding and dilation need {rank} entries each for a {rank}-D input")
    return tuple(
        conv_output_length(n, k, stride=s, padding=p, dilation=d, ceil_mode=ceil_mode, framework=framework)
        for n, k, s, p, d in zip(spatial, kernel, stride, paddings, dilation)
    )
