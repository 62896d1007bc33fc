"""Loading trained models from untrusted files: formats, PyTorch names under any prefix, one clear error otherwise."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handnets.cli import main
from handnets.errors import InvalidWeights
from handnets.trained.load import load_model, model_from_tensors

DATA = Path(__file__).resolve().parent / "data" / "trained"


def good_tensors() -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    return load_file(str(DATA / "good.safetensors"))


def renamed(tensors, old: str, new: str):
    return {k.replace(old, new, 1): v for k, v in tensors.items()}


def logits(model, n=5):
    return model.forward([(t % 2, (t // 2) % 2) for t in range(n)])


def test_load_safetensors_finds_rnn_and_output_layer():
    model = load_model(DATA / "good.safetensors")
    assert model.hidden == (10,) and model.inputs == 2
    assert set(model.names) == {"rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0", "fc.weight", "fc.bias"}


@pytest.mark.parametrize("rnn, out", [("model.encoder.", "head.out."), ("", "linear."), ("_orig_mod.rnn.", "_orig_mod.fc.")])
def test_load_npz_any_prefix_gives_the_same_network(tmp_path, rnn, out):
    tensors = renamed(renamed(good_tensors(), "rnn.", rnn), "fc.", out)
    path = tmp_path / "m.npz"
    np.savez_compressed(path, **tensors)
    assert np.array_equal(logits(load_model(path)), logits(load_model(DATA / "good.safetensors")))


def test_load_without_biases_reads_them_as_zero():
    tensors = {k: v for k, v in good_tensors().items() if "bias" not in k}
    model = model_from_tensors(tensors)
    assert not model.layers[0].b_ih.any() and not model.b_out.any()


def test_load_float64_weights_are_evaluated_in_float32():
    tensors = {k: v.astype(np.float64) for k, v in good_tensors().items()}
    assert model_from_tensors(tensors).layers[0].W_hh.dtype == np.float32


def shape_listing(tensors):
    return [f"{k} {'x'.join(map(str, v.shape))}" for k, v in tensors.items()]


@pytest.mark.parametrize("change, message", [
    (lambda t: {**t, "rnn2.weight_ih_l0": t["rnn.weight_ih_l0"], "rnn2.weight_hh_l0": t["rnn.weight_hh_l0"]}, "several recurrent modules"),
    (lambda t: {**t, "fc2.weight": t["fc.weight"]}, "several candidate output layers"),
    (lambda t: {k: v for k, v in t.items() if not k.startswith("fc.")}, "no output layer"),
    (lambda t: {k: v for k, v in t.items() if k.startswith("fc.")}, "no recurrent layer"),
    (lambda t: {**t, "rnn.weight_ih_l0": np.ones((10, 3), np.float32)}, "expected 10 x 2"),
    (lambda t: {**t, "rnn.bias_hh_l0": np.ones(9, np.float32)}, "expected 10 entries"),
    (lambda t: {**t, "fc.weight": np.ones((2, 10), np.float32)}, "expected 1 x 10"),
    (lambda t: {**t, "rnn.weight_hh_l0": np.ones((40, 10), np.float32), "rnn.weight_ih_l0": np.ones((40, 2), np.float32)}, "nn.LSTM"),
    (lambda t: {**t, "rnn.weight_hh_l0": np.ones((30, 10), np.float32), "rnn.weight_ih_l0": np.ones((30, 2), np.float32)}, "nn.GRU"),
    (lambda t: {**t, "rnn.weight_hh_l0": np.ones((15, 10), np.float32)}, "15 rows for H = 10"),
    (lambda t: {**t, "rnn.weight_ih_l0_reverse": t["rnn.weight_ih_l0"]}, "bidirectional"),
    (lambda t: {**t, "bn.running_mean": np.zeros(10, np.float32)}, "left over"),
    (lambda t: {**t, "rnn.weight_hh_l0": np.full((10, 10), np.nan, np.float32)}, "NaN or infinity"),
    (lambda t: {**t, "rnn.weight_hh_l0": np.ones((10, 10), np.int64)}, "floating-point"),
    (lambda t: {**t, "fc.weight": np.full((1, 10), 1e300)}, "too large for float32"),
    (lambda t: {**t, "rnn.weight_ih_l1": np.ones((10, 7), np.float32), "rnn.weight_hh_l1": np.eye(10, dtype=np.float32)}, "layer 1"),
])
def test_load_bad_tensors_name_what_was_found(change, message):
    tensors = change(good_tensors())
    with pytest.raises(InvalidWeights, match=message) as caught:
        model_from_tensors(tensors, source="m.safetensors")
    text = str(caught.value)
    assert text.startswith("m.safetensors: ") and "found: " in text
    assert all(item in text for item in shape_listing(tensors)[:6])


def test_load_two_layer_rnn_reads_both_layers():
    t = good_tensors()
    t.update({"rnn.weight_ih_l1": np.ones((4, 10), np.float32), "rnn.weight_hh_l1": np.eye(4, dtype=np.float32),
              "fc.weight": np.ones((1, 4), np.float32)})
    assert model_from_tensors(t).hidden == (10, 4)


def test_load_npz_with_pickled_objects_is_refused(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, **{"rnn.weight_ih_l0": np.array([object()], dtype=object)})
    with pytest.raises(InvalidWeights, match="cannot be read as a plain .npy"):
        load_model(path)


def test_load_npz_zip_bomb_stops_at_the_bound(tmp_path, monkeypatch):
    import handnets.trained.load as module

    monkeypatch.setattr(module, "MAX_MODEL_BYTES", 10_000)
    buffer = io.BytesIO()
    np.save(buffer, np.zeros((1000, 1000), np.float32))  # 4 MB of zeros, compresses to a few kB
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("rnn.weight_hh_l0.npy", buffer.getvalue())
    with pytest.raises(InvalidWeights, match="decompresses to more than"):
        load_model(path)


@pytest.mark.parametrize("content, message", [
    (b"", "not a model file"),
    (b"hello world, not weights", "not a model file"),
    (b"\x10\x00\x00\x00\x00\x00\x00\x00{not json!!!!!!}", "not a readable .safetensors"),
    (b"PK\x03\x04garbage", "not a readable zip"),
])
def test_load_unreadable_files_are_one_error(tmp_path, content, message):
    path = tmp_path / "m.safetensors"
    path.write_bytes(content)
    with pytest.raises(InvalidWeights, match=message):
        load_model(path)


def test_load_too_large_file_is_refused_before_reading(tmp_path, monkeypatch):
    import handnets.trained.load as module

    monkeypatch.setattr(module, "MAX_MODEL_BYTES", 100)
    with pytest.raises(InvalidWeights, match="more than the 100 bytes allowed"):
        load_model(DATA / "good.safetensors")


def test_load_oversized_hidden_layer_is_refused():
    with pytest.raises(InvalidWeights, match="1 <= H <= 1024"):
        model_from_tensors({"weight_ih_l0": np.ones((2000, 2), np.float32), "weight_hh_l0": np.ones((2000, 2000), np.float32),
                            "fc.weight": np.ones((1, 2000), np.float32)})


def test_load_missing_and_directory_paths_are_errors(tmp_path):
    for path in (tmp_path / "missing.safetensors", tmp_path):
        with pytest.raises(InvalidWeights):
            load_model(path)


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=300))
def test_load_random_bytes_never_raise_anything_but_invalid_weights(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("random") / "m.bin"
    path.write_bytes(data)
    with pytest.raises(InvalidWeights):
        load_model(path)


@settings(max_examples=40, deadline=None)
@given(st.binary(min_size=1, max_size=200), st.integers(0, 1020))
def test_load_corrupted_safetensors_never_raise_anything_but_invalid_weights(tmp_path_factory, noise, at):
    data = bytearray((DATA / "good.safetensors").read_bytes())
    data[at: at + len(noise)] = noise
    path = tmp_path_factory.mktemp("corrupt") / "m.safetensors"
    path.write_bytes(bytes(data))
    try:
        load_model(path)
    except InvalidWeights:
        pass


def test_load_cli_error_is_one_line_with_exit_2(tmp_path, capsys):
    path = tmp_path / "m.npz"
    np.savez(path, **{"lstm.weight_ih_l0": np.ones((40, 2), np.float32), "lstm.weight_hh_l0": np.ones((40, 10), np.float32)})
    assert main(["rnn", "check", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "lstm.weight_hh_l0 40x10" in err and "Traceback" not in err
