"""The answer-test fixture table of the built-in homework key, in the manner of STACK's answer tests.

Each row: the question, the answer as a student writes it (a TOML value), the expected verdict and
the expected note id. Equivalent rewrites, notation variants, the classic mistakes, invalid and
hostile strings.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from handnets.grading.grade import judge_answer
from handnets.grading.key import load_key

C, I, V, U = "correct", "incorrect", "invalid", "undecided"

HBAR = "dL_dh_t + ibar_next*i_next*(1 - i_next)*w_hi + fbar_next*f_next*(1 - f_next)*w_hf + obar_next*o_next*(1 - o_next)*w_ho + gbar_next*(1 - g_next**2)*w_hg"
CBAR = "hbar_t*o_t*(1 - tanh(c_t)**2) + cbar_next*f_next"

ROWS = [
    # ---------------------------------------------------------------- lstm.cbar_t
    ("lstm.cbar_t", CBAR, C, "correct"),
    ("lstm.cbar_t", "cbar_t = " + CBAR, C, "correct"),
    ("lstm.cbar_t", "f_next*cbar_next + o_t*hbar_t*(1 - tanh(c_t)^2)", C, "correct"),
    ("lstm.cbar_t", "hbar_t o_t (1 - tanh^2(c_t)) + cbar_next f_next", C, "correct"),
    ("lstm.cbar_t", "hbar_t*o_t - hbar_t*o_t*tanh(c_t)**2 + cbar_next*f_next", C, "correct"),
    ("lstm.cbar_t", "hbar_t*o_t*(1 - tanh(f_t*c_prev + i_t*g_t)**2) + cbar_next*f_next", C, "correct"),
    ("lstm.cbar_t", "hbar_t*o_t*tanh'(c_t) + cbar_next*f_next", C, "correct"),
    ("lstm.cbar_t", r"\overline{h^{(t)}} o^{(t)} (1 - \tanh^2(c^{(t)})) + \overline{c^{(t+1)}} f^{(t+1)}", C, "correct"),
    ("lstm.cbar_t", r"\overline{c^{(t)}} = \overline{h^{(t)}} \cdot o^{(t)} \cdot (1 - \tanh^2(c^{(t)})) + \overline{c^{(t+1)}} \cdot f^{(t+1)}", C, "correct"),
    ("lstm.cbar_t", r"\delta h_t \odot o_t \odot (1 - \tanh^2(c_t)) + \delta c_{t+1} \odot f_{t+1}", C, "correct"),
    ("lstm.cbar_t", "hbar_t*o_t*(1 - tanh(C_t)**2) + cbar_next*f_next", C, "correct"),
    ("lstm.cbar_t", "hbar_t*sigmoid(w_xo*x_t + w_ho*h_prev)*(1 - tanh(c_t)**2) + cbar_next*f_next", C, "correct"),
    ("lstm.cbar_t", "hbar_t*o_t*(1 - tanh(c_t)**2) + cbar_next*sigmoid(w_xf*x_next + w_hf*h_t)", C, "correct"),
    ("lstm.cbar_t", "hbar_t*o_t*(1 - tanh(c_t)**2)", I, "cbar.no-recurrent-term"),
    ("lstm.cbar_t", r"\overline{h^{(t)}} o^{(t)} (1 - \tanh^2(c^{(t)}))", I, "cbar.no-recurrent-term"),
    ("lstm.cbar_t", "hbar_t*o_t*tanh(c_t) + cbar_next*f_next", I, "cbar.tanh-not-derivative"),
    ("lstm.cbar_t", "hbar_t*o_t*(1 - tanh(c_t)**2) + cbar_next*f_t", I, "cbar.wrong-forget-gate"),
    ("lstm.cbar_t", "hbar_t*o_t*(1 - tanh(c_t))**2 + cbar_next*f_next", I, "incorrect"),
    ("lstm.cbar_t", "hbar_t*(1 - tanh(c_t)**2) + cbar_next*f_next", I, "cbar.missing-output-gate"),
    ("lstm.cbar_t", "-(" + CBAR + ")", I, "incorrect"),
    ("lstm.cbar_t", "hbar_t*o_t*(1 - tanh(c_t)**2) + cbar_next*f_next + 0*x_t", C, "correct"),
    ("lstm.cbar_t", "hbar_t*o_t*(1 - tanh(c_t)**2 + cbar_next*f_next", V, "invalid"),
    ("lstm.cbar_t", "hbar_t*o_t*(1 - tanh(c_t)**2) + cbar_nxt*f_next", V, "invalid"),
    ("lstm.cbar_t", "hbar_t*o_t*(1 - tanh(c_t)**2) + cbar_next*f_next =", V, "invalid"),
    ("lstm.cbar_t", "obar_t = hbar_t*tanh(c_t)", V, "invalid"),
    ("lstm.cbar_t", "", V, "invalid"),
    ("lstm.cbar_t", 42, I, "incorrect"),
    ("lstm.cbar_t", [1, 2], V, "invalid"),
    ("lstm.cbar_t", True, V, "invalid"),
    ("lstm.cbar_t", {"a": 1}, V, "invalid"),
    # ---------------------------------------------------------------- lstm.hbar_t
    ("lstm.hbar_t", HBAR, C, "correct"),
    ("lstm.hbar_t", "hbar_t = " + HBAR, C, "correct"),
    ("lstm.hbar_t", "dL_dh_t + cbar_next*g_next*i_next*(1 - i_next)*w_hi + cbar_next*c_t*f_next*(1 - f_next)*w_hf + hbar_next*tanh(c_next)*o_next*(1 - o_next)*w_ho + cbar_next*i_next*(1 - g_next**2)*w_hg", C, "correct"),
    ("lstm.hbar_t", "dL_dh_t + ibar_next*sigmoid'(w_xi*x_next + w_hi*h_t)*w_hi + fbar_next*f_next*(1 - f_next)*w_hf + obar_next*o_next*(1 - o_next)*w_ho + gbar_next*(1 - g_next**2)*w_hg", C, "correct"),
    ("lstm.hbar_t", r"\frac{\partial L_t}{\partial h_t} + ibar_next*i_next*(1 - i_next)*w_hi + fbar_next*f_next*(1 - f_next)*w_hf + obar_next*o_next*(1 - o_next)*w_ho + gbar_next*(1 - g_next**2)*w_hg", C, "correct"),
    ("lstm.hbar_t", "ibar_next*i_next*(1 - i_next)*w_hi + fbar_next*f_next*(1 - f_next)*w_hf + obar_next*o_next*(1 - o_next)*w_ho + gbar_next*(1 - g_next**2)*w_hg", I, "hbar.no-local-loss"),
    ("lstm.hbar_t", "dL_dh_t", I, "hbar.local-only"),
    ("lstm.hbar_t", "dL_dh_t + ibar_next*w_hi + fbar_next*w_hf + obar_next*w_ho + gbar_next*w_hg", I, "hbar.missing-gate-derivatives"),
    ("lstm.hbar_t", "dL_dh_t + ibar_next*i_next*(1 - i_next)*w_xi + fbar_next*f_next*(1 - f_next)*w_xf + obar_next*o_next*(1 - o_next)*w_xo + gbar_next*(1 - g_next**2)*w_xg", I, "incorrect"),
    ("lstm.hbar_t", "hbar_t", I, "incorrect"),
    ("lstm.hbar_t", "cbar_t = dL_dh_t", V, "invalid"),
    # ---------------------------------------------------------------- the gate bars
    ("lstm.gbar_t", "cbar_t*i_t", C, "correct"),
    ("lstm.gbar_t", "i_t cbar_t", C, "correct"),
    ("lstm.gbar_t", r"\overline{c^{(t)}} \odot i^{(t)}", C, "correct"),
    ("lstm.gbar_t", r"\bar{c}_t i_t", C, "correct"),
    ("lstm.gbar_t", "cbar_t*sigmoid(w_xi*x_t + w_hi*h_prev)", C, "correct"),
    ("lstm.gbar_t", "cbar_t*σ(w_xi*x_t + w_hi*h_prev)", C, "correct"),
    ("lstm.gbar_t", r"\overline{\tilde{C}_t} = \overline{C_t} i_t", C, "correct"),
    ("lstm.gbar_t", "cbar_t*i_t*(1 - g_t**2)", I, "bar.pre-activation"),
    ("lstm.gbar_t", "cbar_t*g_t", I, "gbar.swapped-with-ibar"),
    ("lstm.gbar_t", "cbar_t*i_t*", V, "invalid"),
    ("lstm.obar_t", "hbar_t*tanh(c_t)", C, "correct"),
    ("lstm.obar_t", r"\overline{h^{(t)}} \tanh(c^{(t)})", C, "correct"),
    ("lstm.obar_t", "obar_t = hbar_t tanh(c_t)", C, "correct"),
    ("lstm.obar_t", "hbar_t*tanh(f_t*c_prev + i_t*g_t)", C, "correct"),
    ("lstm.obar_t", "hbar_t*(exp(2*c_t) - 1)/(exp(2*c_t) + 1)", C, "correct"),
    ("lstm.obar_t", "hbar_t*tanh(c_t)*o_t*(1 - o_t)", I, "bar.pre-activation"),
    ("lstm.obar_t", "hbar_t*(1 - tanh(c_t)**2)", I, "obar.tanh-derivative"),
    ("lstm.obar_t", "hbar_t*tanh(c_prev)", I, "incorrect"),
    ("lstm.obar_t", "hbar_t*tanh[c_t]", C, "correct"),
    ("lstm.fbar_t", "cbar_t*c_prev", C, "correct"),
    ("lstm.fbar_t", r"\overline{c^{(t)}} c^{(t-1)}", C, "correct"),
    ("lstm.fbar_t", r"\delta c_t \cdot c_{t-1}", C, "correct"),
    ("lstm.fbar_t", "cbar_t*c[t-1]", C, "correct"),
    ("lstm.fbar_t", "cbar_t*c(t-1)", C, "correct"),
    ("lstm.fbar_t", "cbar_t*c_t", I, "fbar.current-cell"),
    ("lstm.fbar_t", "cbar_t*c_prev*f_t*(1 - f_t)", I, "bar.pre-activation"),
    ("lstm.fbar_t", "cbar_t*c_prev2", I, "incorrect"),
    ("lstm.ibar_t", "cbar_t*g_t", C, "correct"),
    ("lstm.ibar_t", r"\overline{c^{(t)}} \tilde{c}^{(t)}", C, "correct"),
    ("lstm.ibar_t", "cbar_t*tanh(w_xg*x_t + w_hg*h_prev)", C, "correct"),
    ("lstm.ibar_t", "cbar_t*g_t*i_t*(1 - i_t)", I, "bar.pre-activation"),
    ("lstm.ibar_t", "cbar_t*i_t", I, "ibar.swapped-with-gbar"),
    ("lstm.ibar_t", "cbar_t*g_t)", V, "invalid"),
    # ---------------------------------------------------------------- lstm.w_xi_bar
    ("lstm.w_xi_bar", "ibar_t*i_t*(1 - i_t)*x_t", C, "correct"),
    ("lstm.w_xi_bar", "cbar_t*g_t*i_t*(1 - i_t)*x_t", C, "correct"),
    ("lstm.w_xi_bar", "ibar_t*sigmoid(w_xi*x_t + w_hi*h_prev)*(1 - sigmoid(w_xi*x_t + w_hi*h_prev))*x_t", C, "correct"),
    ("lstm.w_xi_bar", "ibar_t*sigma'(w_xi*x_t + w_hi*h_prev)*x_t", C, "correct"),
    ("lstm.w_xi_bar", r"\overline{i^{(t)}} i^{(t)} (1 - i^{(t)}) x^{(t)}", C, "correct"),
    ("lstm.w_xi_bar", "x_t*ibar_t*(i_t - i_t**2)", C, "correct"),
    ("lstm.w_xi_bar", "ibar_t*x_t", I, "wxi.no-sigmoid-derivative"),
    ("lstm.w_xi_bar", "ibar_t*i_t*(1 - i_t)*h_prev", I, "wxi.wrong-input"),
    ("lstm.w_xi_bar", "ibar_t*i_t*(1 - i_t)", I, "incorrect"),
    ("lstm.w_xi_bar", "sum(ibar_t*i_t*(1 - i_t)*x_t)", V, "invalid"),
    # ---------------------------------------------------------------- recurrences
    ("recurrence.c_t_from_c_prev2", "f_t*(f_prev*c_prev2 + i_prev*g_prev) + i_t*g_t", C, "correct"),
    ("recurrence.c_t_from_c_prev2", "f_t*f_prev*c_prev2 + f_t*i_prev*g_prev + i_t*g_t", C, "correct"),
    ("recurrence.c_t_from_c_prev2", "c_t = f_t f_prev c_prev2 + f_t i_prev g_prev + i_t g_t", C, "correct"),
    ("recurrence.c_t_from_c_prev2", r"f^{(t)} (f^{(t-1)} c^{(t-2)} + i^{(t-1)} g^{(t-1)}) + i^{(t)} g^{(t)}", C, "correct"),
    ("recurrence.c_t_from_c_prev2", r"f_t \odot (f_{t-1} \odot c_{t-2} + i_{t-1} \odot \tilde{c}_{t-1}) + i_t \odot \tilde{c}_t", C, "correct"),
    ("recurrence.c_t_from_c_prev2", "f_t*f_prev*c_prev2", I, "recurrence.forget-path-only"),
    ("recurrence.c_t_from_c_prev2", "f_t*c_prev + i_t*g_t", I, "recurrence.one-step"),
    ("recurrence.c_t_from_c_prev2", "f_t*f_prev*c_prev2 + i_t*g_t", I, "incorrect"),
    ("recurrence.c_t_from_c_prev2", "f_t*f_prev*c_prev2 + f_prev*i_prev*g_prev + i_t*g_t", I, "incorrect"),
    ("recurrence.cbar_prev2", "cbar_t*f_t*f_prev", C, "correct"),
    ("recurrence.cbar_prev2", r"\delta C_{t-2} = \delta C_t f_t f_{t-1}", C, "correct"),
    ("recurrence.cbar_prev2", r"\overline{c^{(t-2)}} = \overline{c^{(t)}} f^{(t)} f^{(t-1)}", C, "correct"),
    ("recurrence.cbar_prev2", "dL/dc_t * f_t * f_prev", C, "correct"),
    ("recurrence.cbar_prev2", "cbar_t*f_t", I, "recurrence.one-forget-gate"),
    ("recurrence.cbar_prev2", "cbar_t*f_t*f_next", I, "recurrence.next-forget-gate"),
    ("recurrence.c_t_forget_zero", "i_t*g_t", C, "correct"),
    ("recurrence.c_t_forget_zero", "c_t = i_t g_t", C, "correct"),
    ("recurrence.c_t_forget_zero", "0", I, "incorrect"),
    ("recurrence.c_t_forget_zero", "c_prev", I, "incorrect"),
    # ---------------------------------------------------------------- integers
    ("params.rnn_20_128_10", 20362, C, "correct"),
    ("params.rnn_20_128_10", "20362", C, "correct"),
    ("params.rnn_20_128_10", "20,362", C, "correct"),
    ("params.rnn_20_128_10", "20*128 + 128*128 + 128*10 + 128 + 10", C, "correct"),
    ("params.rnn_20_128_10", "(20 + 128 + 1)*128 + (128 + 1)*10", C, "correct"),
    ("params.rnn_20_128_10", Decimal("20362.0"), C, "correct"),
    ("params.rnn_20_128_10", 20224, I, "params.no-biases"),
    ("params.rnn_20_128_10", 20490, I, "params.pytorch-two-biases"),
    ("params.rnn_20_128_10", 20000, I, "incorrect"),
    ("params.rnn_20_128_10", "20362.5", I, "incorrect"),
    ("params.rnn_20_128_10", "twenty thousand", V, "invalid"),
    ("params.rnn_20_128_10", "10**10**10", V, "invalid"),
    ("params.rnn_20_128_10", "factorial(10**7)", V, "invalid"),
    ("params.rnn_20_128_10", "x*128", V, "invalid"),
    ("params.rnn_20_128_10", True, V, "invalid"),
    ("params.rnn_20_128_10", [20362], V, "invalid"),
    ("params.classifier.embedding", 16000, C, "correct"),
    ("params.classifier.embedding", "1000*16", C, "correct"),
    ("params.classifier.embedding", 3200000, I, "params.embedding-times-length"),
    ("params.classifier.lstm", 6272, C, "correct"),
    ("params.classifier.lstm", "4*(16*32 + 32*32 + 32)", C, "correct"),
    ("params.classifier.lstm", "4 * (32 * (16 + 32) + 32)", C, "correct"),
    ("params.classifier.lstm", 6400, I, "params.pytorch-two-biases"),
    ("params.classifier.lstm", 6144, I, "params.no-biases"),
    ("params.classifier.lstm", 1568, I, "params.one-gate"),
    ("params.classifier.lstm", "6272 + 0.5", I, "incorrect"),
    ("params.classifier.dense", 8705, C, "correct"),
    ("params.classifier.dense", "32*256 + 256 + 256 + 1", C, "correct"),
    ("params.classifier.dense", 8448, I, "params.first-dense-only"),
    ("params.classifier.total", 30977, C, "correct"),
    ("params.classifier.total", "16000 + 6272 + 8448 + 257", C, "correct"),
    ("params.classifier.total", 31105, I, "params.pytorch-two-biases"),
    ("params.classifier.total", 30976, I, "incorrect"),
    ("conv.params", 608, C, "correct"),
    ("conv.params", "8*(5*5*3 + 1)", C, "correct"),
    ("conv.params", "8*5*5*3", I, "conv.no-biases"),
    ("conv.params", 208, I, "conv.no-depth"),
    ("params.vgg16", 138357544, C, "correct"),
    ("params.vgg16", "138,357,544", C, "correct"),
    ("params.vgg16", "__import__('os').system('touch /tmp/handnets-pwned')", V, "invalid"),
    ("params.vgg16", "().__class__.__bases__[0].__subclasses__()", V, "invalid"),
    ("params.vgg16", "lambda: 1", V, "invalid"),
    ("params.vgg16", "eval('1')", V, "invalid"),
    ("params.vgg16", "1" * 5000, V, "invalid"),
    ("params.vgg16", "(" * 10000 + "1" + ")" * 10000, V, "invalid"),
    # ---------------------------------------------------------------- shapes
    ("conv.output_shape", [28, 28, 8], C, "correct"),
    ("conv.output_shape", "28x28x8", C, "correct"),
    ("conv.output_shape", "(28, 28, 8)", C, "correct"),
    ("conv.output_shape", "28 × 28 × 8", C, "correct"),
    ("conv.output_shape", [8, 28, 28], I, "conv.channels-first"),
    ("conv.output_shape", [32, 32, 8], I, "conv.same-padding"),
    ("conv.output_shape", [28, 28], I, "incorrect"),
    ("conv.output_shape", [27, 27, 8], I, "incorrect"),
    ("conv.output_shape", "28 by 28", I, "incorrect"),  # read (28 by 28 by 8 is a shape), one number short
    ("conv.output_shape", [28.0, 28, 8], V, "invalid"),
    # ---------------------------------------------------------------- matrices
    ("resnet.a_l1", [[4, 4], [0, 0]], C, "correct"),
    ("resnet.a_l1", [["4", "4/1"], [0, "0.0"]], C, "correct"),
    ("resnet.a_l1", [[4, 4], [0, 1]], I, "matrix.partial"),
    ("resnet.a_l1", [[4, 4, 0], [0, 0, 0]], I, "matrix.shape"),
    ("resnet.a_l1", [[4, 4], [0]], I, "matrix.shape"),
    ("resnet.a_l1", [[4, "four"], [0, 0]], V, "invalid"),
    ("resnet.a_l1", [[4, "nan"], [0, 0]], V, "invalid"),
    ("resnet.a_l1", "[[4, 4], [0, 0]]", C, "correct"),  # a matrix typed as a Python list string
    ("resnet.a_l1", "[[4, 4], [0, 0]", V, "invalid"),
    ("resnet.a_l2", [[0, 0], [1, 1]], C, "correct"),
    ("resnet.a_l2", [[-1, -1], [1, 1]], I, "resnet.skip-after-relu"),
    ("resnet.a_l2", [[0, 0], [0, 0]], I, "resnet.no-skip"),
    ("pooling.max", [[6, 5], [3, 8]], C, "correct"),
    ("pooling.max", [[6, 5], [3, 4]], I, "incorrect"),
    ("pooling.avg", [["7/2", 2], [1.5, 3.75]], C, "correct"),
    ("pooling.avg", [[3.5, 2], [1.5, 3.75]], C, "correct"),
    ("pooling.avg", [[3, 2], [1, 3]], I, "incorrect"),
    # ---------------------------------------------------------------- big-O
    ("asymptotics.pixelcnn.steps", "O(d)", C, "correct"),
    ("asymptotics.pixelcnn.steps", "d", C, "correct"),
    ("asymptotics.pixelcnn.steps", r"\mathcal{O}(3d)", C, "correct"),
    ("asymptotics.pixelcnn.steps", "O(d*H*W)", I, "incorrect"),
    ("asymptotics.mdrnn.steps", "O(H + W + d)", C, "correct"),
    ("asymptotics.mdrnn.steps", "O(d + H + W)", C, "correct"),
    ("asymptotics.mdrnn.steps", "O(2*(H + W + d))", C, "correct"),
    ("asymptotics.mdrnn.steps", "O(d*H*W)", I, "asymptotics.mdrnn-product"),
    ("asymptotics.mdrnn.steps", "O(H + W)", I, "asymptotics.mdrnn-no-layers"),
    ("asymptotics.connections", "O(d*k^2*H*W)", C, "correct"),
    ("asymptotics.connections", r"\mathcal{O}(d k^2 H W)", C, "correct"),
    ("asymptotics.connections", "O(9*d*k**2*H*W)", C, "correct"),
    ("asymptotics.connections", "O(d*k*H*W)", I, "asymptotics.channels-linear"),
    ("asymptotics.connections", "O(d*k^2*H*W*n)", V, "invalid"),
    # ---------------------------------------------------------------- text
    ("lstm.gradient_flow", "cbar flows back through f ≈ 1 unchanged; the h paths are multiplied by o ≈ 0.", "manual", "manual"),
    ("lstm.gradient_flow", 12, V, "invalid"),
]


@pytest.fixture(scope="module")
def key():
    return load_key("homework")


def test_fixture_table_is_large_enough():
    assert len(ROWS) >= 150


@pytest.mark.parametrize(("question", "answer", "verdict", "note"), ROWS, ids=[f"{q}-{i}" for i, (q, *_rest) in enumerate(ROWS)])
def test_fixture(key, question, answer, verdict, note):
    result = judge_answer(key.question(question), answer)
    assert (result.verdict, result.note) == (verdict, note), result.feedback
