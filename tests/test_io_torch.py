"""Files written by groundup.io are read by PyTorch's own safetensors loader, and back."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
st_torch = pytest.importorskip("safetensors.torch")

from groundup import io  # noqa: E402
from groundup.errors import DataError  # noqa: E402

pytestmark = pytest.mark.torch


def test_torch_reads_groundup_file(tmp_path):
    rng = np.random.default_rng(1)
    state = {
        "0.weight": rng.standard_normal((5, 3)).astype(np.float32),
        "0.bias": rng.standard_normal(5).astype(np.float32),
        "2.weight": rng.standard_normal((2, 5)),
        "count": np.arange(4, dtype=np.int64),
    }
    path = io.save_safetensors(state, tmp_path / "w.safetensors")
    tensors = st_torch.load_file(str(path))
    assert set(tensors) == set(state)
    for name, value in state.items():
        assert torch.equal(tensors[name], torch.from_numpy(value)), name


def test_groundup_reads_torch_state_dict(tmp_path):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    path = tmp_path / "t.safetensors"
    st_torch.save_file(model.state_dict(), str(path))
    loaded = io.load_safetensors(path)
    assert set(loaded) == {"0.weight", "0.bias", "2.weight", "2.bias"}
    for name, tensor in model.state_dict().items():
        np.testing.assert_array_equal(loaded[name], tensor.numpy())


def test_torch_reads_file_with_several_metadata_keys(tmp_path):
    state = {"w": np.arange(6, dtype=np.float32).reshape(2, 3), "flag": np.array([True, False])}
    meta = {"spec": '{"lr": 0.1}', "engine": "scratch", "epoch": "3"}
    path = io.save_safetensors(state, tmp_path / "w.safetensors", metadata=meta)
    tensors = st_torch.load_file(str(path))
    assert torch.equal(tensors["w"], torch.arange(6, dtype=torch.float32).reshape(2, 3))
    assert tensors["flag"].tolist() == [True, False]
    with st_torch.safe_open(str(path), framework="pt") as f:
        assert f.metadata() == meta


@pytest.mark.parametrize("zipped", [True, False], ids=["zip", "legacy-pickle"])
def test_a_torch_save_file_is_named_as_such(tmp_path, zipped):
    # what a user hands over when they have a .pt file: torch.save of a state dict, the zip
    # format (the default since PyTorch 1.6) or the older bare pickle
    path = tmp_path / "model.pt"
    torch.save(torch.nn.Linear(3, 2).state_dict(), path, _use_new_zipfile_serialization=zipped)
    with pytest.raises(DataError, match="not a safetensors file") as info:
        io.load_safetensors(path)
    assert ("PyTorch" in str(info.value)) and "truncated" not in str(info.value)
    assert ("zip" if zipped else "pickle") in str(info.value)
