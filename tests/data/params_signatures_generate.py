"""Write handnets/params/signatures.py from the real constructors of Keras 3 and PyTorch.

Run by hand where both are installed (``KERAS_BACKEND=torch python tests/data/params_signatures_generate.py``);
``tests/test_params_signatures.py`` checks the committed table against whichever is installed.
"""

from __future__ import annotations

import inspect
import os
import pprint
import sys
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from handnets.params.signatures import KERAS_NAMES, TORCH_NAMES  # noqa: E402


def parameters(cls) -> tuple[str, ...]:
    signature = inspect.signature(cls if inspect.isfunction(cls) else cls.__init__)
    return tuple(
        p.name for p in signature.parameters.values()
        if p.name != "self" and p.kind not in (inspect.Parameter.VAR_KEYWORD, inspect.Parameter.VAR_POSITIONAL)
    )


def main() -> None:
    import keras
    import torch

    keras_table = {name: parameters(getattr(keras.layers, name)) for name in KERAS_NAMES if hasattr(keras.layers, name)}
    torch_table = {name: parameters(getattr(torch.nn, name)) for name in TORCH_NAMES if hasattr(torch.nn, name)}
    # nn.RNN, nn.LSTM and nn.GRU take *args, **kwargs and hand them to RNNBase(mode, ...)
    base = parameters(torch.nn.RNNBase)[1:]  # without mode
    torch_table["LSTM"] = base
    torch_table["GRU"] = tuple(p for p in base if p != "proj_size")
    rnn = list(torch_table["GRU"])
    rnn.insert(rnn.index("bias"), "nonlinearity")  # nn.RNN(input_size, hidden_size, num_layers, nonlinearity, bias, ...)
    torch_table["RNN"] = tuple(rnn)
    path = ROOT / "handnets" / "params" / "signatures.py"
    text = path.read_text(encoding="utf-8")
    head = text.split("# --- generated below")[0]
    body = (
        "# --- generated below by tests/data/params_signatures_generate.py; do not edit by hand\n"
        f"KERAS_VERSION = {keras.__version__!r}\n"
        f"TORCH_VERSION = {torch.__version__.split('+')[0]!r}\n"
        f"KERAS_SIGNATURES: dict[str, tuple[str, ...]] = {pprint.pformat(keras_table, width=110, compact=True)}\n"
        f"TORCH_SIGNATURES: dict[str, tuple[str, ...]] = {pprint.pformat(torch_table, width=110, compact=True)}\n"
    )
    path.write_text(head + body, encoding="utf-8")


if __name__ == "__main__":
    main()
