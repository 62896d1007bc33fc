"""An independent float32 oracle for trained RNNs: plain Python floats, one operation at a time, rounded to float32.

Shares nothing with ``handnets.trained`` but the weights: no numpy arithmetic, no prefix sharing, no
symbol tables; each valid pair is run from h_0 on its own. Rounding a Python float (a double) to
float32 after every single operation is exactly float32 arithmetic for + and * (a double holds the
exact product of two float32s, and double rounding is harmless at these precisions); the additions
go left to right, so a logit can differ from a BLAS product in its last bit, never more.
"""

from __future__ import annotations

import math
import struct


def f32(x: float) -> float:
    if math.isinf(x) or math.isnan(x):
        return x
    try:
        return struct.unpack("f", struct.pack("f", x))[0]
    except OverflowError:
        return math.copysign(math.inf, x)


def plain(model) -> dict:
    """The weights as nested Python lists of floats."""
    layers = [
        ([list(map(float, r)) for r in L.W_ih], [list(map(float, r)) for r in L.W_hh], list(map(float, L.b_ih)), list(map(float, L.b_hh)))
        for L in model.layers
    ]
    return {"layers": layers, "W_out": list(map(float, model.W_out[0])), "b_out": float(model.b_out[0]), "relu": model.nonlinearity == "relu"}


def dot(w, v, bias):
    total = 0.0
    for a, b in zip(w, v):
        total = f32(total + f32(a * b))
    return f32(total + bias)


def logits(net: dict, xs) -> list[float]:
    hs = [[0.0] * len(L[3]) for L in net["layers"]]
    out = []
    for x in xs:
        inp = [float(v) for v in x]
        for k, (W_ih, W_hh, b_ih, b_hh) in enumerate(net["layers"]):
            new = []
            for i in range(len(b_hh)):
                z = f32(dot(W_hh[i], hs[k], b_hh[i]) + dot(W_ih[i], inp, b_ih[i]))
                new.append(max(z, 0.0) if net["relu"] else f32(math.tanh(z)))
            hs[k] = inp = new
        out.append(dot(net["W_out"], inp, net["b_out"]))
    return out


def counts(model, task: str, max_len: int, answer_input=(0.0, 0.0)):
    """Per length: (wrong pairs, wrong digits, smallest failing (a, b) or None), by running every pair alone."""
    net = plain(model)
    result = []
    for n in range(1, max_len + 1):
        wrong_pairs = wrong_digits = 0
        first = None
        for a in range(2 ** (n - 1)):
            for b in range(2 ** (n - 1)):
                expected = [((a + b) >> t) & 1 for t in range(n)]
                if task == "add":
                    ys = logits(net, [((a >> t) & 1, (b >> t) & 1) for t in range(n)])
                else:
                    xs = [((a >> t) & 1, (b >> t) & 1) for t in reversed(range(n))] + [answer_input] * n
                    ys = logits(net, xs)[n:]
                    expected = expected[::-1]
                wrong = sum(int(y > 0) != e for y, e in zip(ys, expected))
                if wrong:
                    wrong_pairs += 1
                    wrong_digits += wrong
                    first = (a, b) if first is None else first
        result.append((wrong_pairs, wrong_digits, first))
    return result
