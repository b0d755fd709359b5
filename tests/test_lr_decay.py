"""``lr_decay``: the learning rate multiplied by γ after every epoch, PyTorch's
``StepLR(step_size=1, gamma=γ)``, on every engine, exact across a resume, and in run folders."""

import json

import numpy as np
import pytest
from tests.test_train import StopAt, problem, same_state

from groundup.cli import main
from groundup.engines import OptimizerSpec, make_engine
from groundup.errors import GroundupError
from groundup.models import ModelSpec
from groundup.train import Checkpointer, Trainer, load_checkpoint

SPEC = ModelSpec.for_model("mlp", 5, 3, (16,))
DECAY = OptimizerSpec("adam", 0.01, lr_decay=0.5)


def fit(engine, opt=DECAY, epochs=3, callbacks=(), resume=None):
    Xtr, ytr, Xte, yte = problem()
    eng = make_engine(engine, SPEC, SPEC.init_state(0), opt, 0)
    t = Trainer(eng, Xtr, ytr, Xte, yte, epochs=epochs, batch_size=32, seed=0, log=None,
                callbacks=list(callbacks))  # fmt: skip
    t.fit(resume=resume)
    return t


def test_lr_at_is_lr_times_gamma_to_the_epoch():
    assert [DECAY.lr_at(e) for e in range(4)] == [0.01, 0.005, 0.0025, 0.00125]
    assert OptimizerSpec("sgd", 0.1).lr_at(7) == 0.1
    with pytest.raises(GroundupError, match="--lr-decay"):
        OptimizerSpec("sgd", 0.1, lr_decay=0.0)
    with pytest.raises(GroundupError, match="--lr-decay"):
        OptimizerSpec("sgd", 0.1, lr_decay=1.5)


def test_torch_engine_equals_torch_adam_with_step_lr():
    """The reference: torch.optim.Adam stepped by torch's own StepLR(step_size=1, gamma) over
    the same batches, from the same weights."""
    torch = pytest.importorskip("torch")
    from groundup.data import DataLoader, TensorDataset

    ours = fit("torch")
    Xtr, ytr, _, _ = problem()
    model = torch.nn.Sequential(torch.nn.Linear(5, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))
    model.load_state_dict({k: torch.from_numpy(v) for k, v in SPEC.init_state(0).items()})
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    loader = DataLoader(TensorDataset(Xtr, ytr), batch_size=32, shuffle=True, seed=0)
    for epoch in range(3):
        loader.set_epoch(epoch)
        for xb, yb in loader:
            loss = torch.nn.functional.cross_entropy(model(torch.from_numpy(xb)),
                                                     torch.from_numpy(yb))  # fmt: skip
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
    state = ours.engine.state_dict()
    for k, v in model.state_dict().items():
        np.testing.assert_allclose(state[k], v.numpy(), rtol=1e-5, atol=1e-6)
    constant = fit("torch", OptimizerSpec("adam", 0.01))
    assert not same_state(state, constant.engine.state_dict())  # the decay took effect


def test_engines_agree_under_decay():
    states = [fit(e).engine.state_dict() for e in ("scratch", "autograd")]
    for k in states[0]:
        np.testing.assert_allclose(states[0][k], states[1][k], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("stop_at", [8, 13], ids=["epoch-boundary", "mid-epoch"])
def test_a_resumed_run_steps_with_the_rate_it_would_have_had(tmp_path, stop_at):
    straight = fit("autograd", epochs=3)
    first = fit("autograd", epochs=3, callbacks=[StopAt(stop_at), Checkpointer(tmp_path)])
    assert first.interrupted
    resumed = fit("autograd", epochs=3, callbacks=[Checkpointer(tmp_path)],
                  resume=load_checkpoint(tmp_path))  # fmt: skip
    assert same_state(straight.engine.state_dict(), resumed.engine.state_dict())


def test_the_cli_records_lr_decay_and_resume_keeps_it(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "penguins", "--epochs", "1", "--lr-decay", "0.5", "--out", str(out),
                 "--no-plots", "--quiet"]) == 0  # fmt: skip
    config = json.loads((out / "config.json").read_text())
    assert config["run"]["optimizer"]["lr_decay"] == 0.5
    assert main(["train", "--resume", str(out), "--epochs", "2", "--no-plots", "--quiet"]) == 0
    straight = tmp_path / "straight"
    assert main(["train", "penguins", "--epochs", "2", "--lr-decay", "0.5", "--out",
                 str(straight), "--no-plots", "--quiet"]) == 0  # fmt: skip
    assert (out / "model.safetensors").read_bytes() == (straight / "model.safetensors").read_bytes()


def test_a_constant_rate_writes_no_lr_decay_key(tmp_path, capsys):
    """Runs that do not decay write config.json as before the option existed."""
    out = tmp_path / "run"
    assert main(["train", "penguins", "--epochs", "1", "--out", str(out), "--no-plots",
                 "--quiet"]) == 0  # fmt: skip
    assert "lr_decay" not in json.loads((out / "config.json").read_text())["run"]["optimizer"]


@pytest.mark.parametrize("given", ["0", "-0.5", "1.5", "fast"])
def test_a_bad_lr_decay_is_one_line(given, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:  # argparse's exit, with its one line
        main(["train", "penguins", "--epochs", "1", "--lr-decay", given, "--out",
              str(tmp_path / "r")])  # fmt: skip
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and len(err.strip().splitlines()) == 1
    assert "--lr-decay" in err and "(0, 1]" in err and "Traceback" not in err
    assert not (tmp_path / "r").exists()
