"""The shared training loop: history, atomic checkpoints, resume after a kill (at an epoch's end, and mid-epoch
for wgan, ADDA, BYOL and segmentation: tests/killed_run.py), NaN detection."""
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from tests import killed_run

from helpers.core.checkpoint import DamagedCheckpoint, load_checkpoint, save_checkpoint
from helpers.core.training import TrainingDiverged, fit


class Batches:
    def __init__(self, n=4):
        self.n = n

    def __len__(self):
        return self.n

    def __iter__(self):
        for _ in range(self.n):
            x = torch.randn(8, 3)
            yield x, x.sum(1, keepdim=True)


def regression(epochs, checkpoint=None, on_epoch_end=None, save_every=None, max_steps=None, progresses=None,
               scheduled=False):
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

    def step(batch, progress):
        if progresses is not None:
            progresses.append(progress)
        for group in optimizer.param_groups:  # a schedule read from progress, as the methods' are
            group["lr"] = 0.1 * (1 - progress) if scheduled else 0.1
        x, y = batch
        loss = torch.nn.functional.mse_loss(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return {"mse": loss.detach()}

    history = fit(step, Batches, name="regression", epochs=epochs, modules={"model": model},
                  optimizers={"sgd": optimizer}, checkpoint=checkpoint, seed=0, on_epoch_end=on_epoch_end,
                  save_every=save_every, max_steps=max_steps)
    return model, history


def test_history_has_one_mean_per_epoch_and_loss_falls():
    _, history = regression(5, on_epoch_end=lambda epoch: {"epoch": epoch})
    assert len(history["mse"]) == 5 and history["epoch"] == [0, 1, 2, 3, 4]
    assert history["mse"][-1] < history["mse"][0]


def test_a_step_budget_ends_the_last_epoch_early_and_progress_runs_over_the_budget(tmp_path):
    """Epochs of 4 batches and a budget of 10 steps: 3 epochs, the last of 2 steps; ``progress`` is the share of
    the 10 steps done. Without ``max_steps`` every batch of every epoch trains."""
    progresses, ends = [], []
    _, history = regression(3, checkpoint=tmp_path / "run.pt", max_steps=10, progresses=progresses,
                            on_epoch_end=ends.append)
    assert progresses == [i / 10 for i in range(10)] and ends == [0, 1, 2] and len(history["mse"]) == 3
    state = load_checkpoint(tmp_path / "run.pt")
    assert state["epoch"] == 3
    progresses.clear()
    regression(3, max_steps=None, progresses=progresses)
    assert len(progresses) == 12
    progresses.clear()
    regression(5, max_steps=6, progresses=progresses, on_epoch_end=ends.append)  # epochs beyond the budget: none
    assert len(progresses) == 6 and ends[3:] == [0, 1]


def test_a_run_with_a_step_budget_resumes_like_an_uninterrupted_one(tmp_path):
    """Stopped in the last, cut epoch: the resumed run trains its 2 steps with the rates an uninterrupted one
    sets (the progress over the budget's 10 steps, not over 3 whole epochs)."""
    path = tmp_path / "run.pt"

    def stop_in_the_last_epoch(epoch):
        if epoch == 2:
            raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        regression(3, checkpoint=path, max_steps=10, save_every=1, on_epoch_end=stop_in_the_last_epoch, scheduled=True)
    assert load_checkpoint(path)["epoch"] == 2
    progresses = []
    resumed_model, resumed = regression(3, checkpoint=path, max_steps=10, progresses=progresses, scheduled=True)
    assert progresses == [0.8, 0.9]
    full_model, full = regression(3, max_steps=10, scheduled=True)
    assert resumed == full and torch.equal(resumed_model.weight, full_model.weight)


def test_finished_checkpoint_is_reused_without_training(tmp_path):
    path = tmp_path / "run.pt"
    model, history = regression(3, checkpoint=path)
    calls = []
    again, history_again = regression(3, checkpoint=path, on_epoch_end=lambda e: calls.append(e))
    assert calls == [] and history_again == history
    assert torch.equal(model.weight, again.weight)


def test_resumed_run_equals_uninterrupted_run(tmp_path):
    path = tmp_path / "run.pt"
    regression(2, checkpoint=path)  # as if stopped after epoch 2 of 4
    assert load_checkpoint(path)["epoch"] == 2
    resumed_model, resumed = regression(4, checkpoint=path)
    full_model, full = regression(4)
    assert resumed == full  # same seeds per epoch: bit-identical
    assert torch.equal(resumed_model.weight, full_model.weight)


def test_checkpoints_are_written_at_most_every_save_every_steps_and_after_the_last_epoch(tmp_path, monkeypatch):
    """Epochs of 4 steps, a checkpoint at most every 10: after epochs 3 and 6, and 7, the last. A run stopped in
    epoch 5 resumes from epoch 3 and ends like one never stopped."""
    import helpers.core.training as training

    saved = []
    real_save = training.save_checkpoint
    monkeypatch.setattr(training, "save_checkpoint", lambda state, path: (saved.append(state["epoch"]),
                                                                           real_save(state, path)))
    full_model, full = regression(7, checkpoint=tmp_path / "full.pt", save_every=10)
    assert saved == [3, 6, 7]

    def stop_in_epoch_5(epoch):
        if epoch == 4:
            raise KeyboardInterrupt
    path = tmp_path / "run.pt"
    with pytest.raises(KeyboardInterrupt):
        regression(7, checkpoint=path, on_epoch_end=stop_in_epoch_5, save_every=10)
    assert load_checkpoint(path)["epoch"] == 3
    resumed_model, resumed = regression(7, checkpoint=path, save_every=10)
    assert resumed == full and torch.equal(resumed_model.weight, full_model.weight)
    saved.clear()
    regression(2, checkpoint=tmp_path / "default.pt")  # the default: 8 steps are fewer than SAVE_EVERY
    assert saved == [2]


def test_nan_loss_names_the_run_the_step_and_the_loss():
    def step(batch, progress):
        return {"generator": torch.tensor(float("nan"))}

    with pytest.raises(TrainingDiverged, match=r"wgan: loss 'generator' is nan at epoch 1, steps 1-4;"):
        fit(step, Batches, name="wgan", epochs=2, modules={}, optimizers={})


def test_nan_loss_is_reported_with_the_window_of_steps_it_appeared_in():
    calls = []

    def step(batch, progress):
        calls.append(1)
        return {"d_loss": torch.tensor(float("inf") if len(calls) == 60 else 1.0)}

    with pytest.raises(TrainingDiverged, match=r"loss 'd_loss' is inf at epoch 1, steps 51-100;"):
        fit(step, lambda: Batches(120), name="wgan", epochs=1, modules={}, optimizers={}, read_every=50)
    assert len(calls) == 100  # found at the window's read, not at the epoch's end


def test_losses_are_read_on_the_host_once_per_window_not_every_step(monkeypatch):
    """A host read of a GPU tensor waits for the GPU: fit reads the losses every read_every steps and at the
    epoch's end, never per step (each step here returns two losses)."""
    reads = []
    for name in ("__float__", "item", "tolist", "__bool__", "cpu", "numpy"):
        original = getattr(torch.Tensor, name)

        def counted(self, *args, _original=original, **kwargs):
            reads.append(1)
            return _original(self, *args, **kwargs)
        monkeypatch.setattr(torch.Tensor, name, counted)

    def step(batch, progress):
        x, y = batch
        return {"a": (x - y).abs().mean(), "b": x.mean()}

    history = fit(step, lambda: Batches(120), name="reads", epochs=2, modules={}, optimizers={}, read_every=50)
    monkeypatch.undo()
    assert len(history["a"]) == 2
    assert len(reads) == 2 * 3  # per epoch: after steps 50 and 100, and at its end (120)
    reads.clear()
    monkeypatch.setattr(torch.Tensor, "tolist", lambda self, _o=torch.Tensor.tolist: reads.append(1) or _o(self))
    again = fit(step, lambda: Batches(100), name="reads", epochs=1, modules={}, optimizers={}, read_every=50)
    assert len(reads) == 2 and len(again["a"]) == 1  # an epoch ending on a window's end is not read twice


def test_checkpoint_write_is_atomic_and_damage_is_reported(tmp_path):
    path = tmp_path / "a" / "state.pt"
    save_checkpoint({"x": torch.ones(2)}, path)
    assert [p.name for p in path.parent.iterdir()] == ["state.pt"]
    assert torch.equal(load_checkpoint(path)["x"], torch.ones(2))
    path.write_bytes(b"garbage")
    with pytest.raises(RuntimeError, match=r"state\.pt is damaged"):
        load_checkpoint(path)


@pytest.mark.parametrize("damage", ["cut in the middle", "a line of text", "empty", "a text file"])
def test_every_kind_of_damaged_checkpoint_is_named_not_a_traceback_of_torch(tmp_path, damage):
    """torch.load raises OSError on a file cut in the middle, KeyError on a short line of text, EOFError on an empty
    file and UnpicklingError (with advice to load it unsafely) on other text: each is the same named error."""
    path = tmp_path / "state.pt"
    save_checkpoint({"x": torch.arange(100_000, dtype=torch.float32)}, path)
    whole = path.read_bytes()
    path.write_bytes({"cut in the middle": whole[:20_000], "a line of text": b"junk\n", "empty": b"",
                      "a text file": b"# a README\n\nsome words\n" * 20}[damage])
    with pytest.raises(DamagedCheckpoint, match=r"state\.pt is damaged .*torch\.load failed with \w+\); delete it") as error:
        load_checkpoint(path)
    assert "weights_only" not in str(error.value)
    with pytest.raises(FileNotFoundError, match=r"nowhere\.pt: no such file"):
        load_checkpoint(tmp_path / "nowhere.pt")
    with pytest.raises(IsADirectoryError, match="is a folder, not a checkpoint file"):
        load_checkpoint(tmp_path)


def test_a_checkpoint_holding_a_type_the_safe_loader_refuses_is_named_with_that_type(tmp_path):
    """The one line of torch's text worth keeping: which global it refused (not its advice to load unsafely)."""
    path = tmp_path / "state.pt"
    torch.save({"counts": np.arange(3)}, path)  # a NumPy array, which the safe loader does not rebuild
    with pytest.raises(DamagedCheckpoint, match=r"UnpicklingError: Unsupported global: GLOBAL numpy\.\S+\)") as error:
        load_checkpoint(path)
    assert "weights_only" not in str(error.value)


@pytest.mark.parametrize("fails_in", ["torch.save", "os.replace"])
def test_a_checkpoint_write_that_fails_halfway_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch, fails_in):
    path = tmp_path / "state.pt"
    save_checkpoint({"x": torch.ones(2)}, path)

    def fail(*args, **kwargs):
        if fails_in == "torch.save":
            Path(args[1]).write_bytes(b"\x80\x02half a checkpoint")  # half written, then the disk is full
        raise OSError(28, "No space left on device")

    module, name = fails_in.split(".")
    monkeypatch.setattr({"torch": torch, "os": os}[module], name, fail)
    with pytest.raises(OSError, match="No space left"):
        save_checkpoint({"x": torch.zeros(2)}, path)
    monkeypatch.undo()
    assert torch.equal(load_checkpoint(path)["x"], torch.ones(2))  # the old checkpoint, whole
    assert [p.name for p in tmp_path.iterdir()] == ["state.pt"]  # and no temporary file


CHILD = textwrap.dedent("""
    import json, os, signal, sys
    import torch
    torch.set_num_threads(1)
    import helpers.core.training as training
    from helpers.adaptation.common import DomainPair
    from helpers.adaptation.config import DannConfig
    from helpers.adaptation.experiment import run_method
    from helpers.core.config import make_config
    from helpers.data import load_domains

    training.SAVE_EVERY = 1  # a checkpoint after every epoch, for the kill after epoch 2
    kill_after = int(os.environ.get("KILL_AFTER_EPOCH", "0"))
    if kill_after:
        real_save = training.save_checkpoint
        def save_then_die(state, path):
            real_save(state, path)
            if state["epoch"] == kill_after:
                os.kill(os.getpid(), signal.SIGKILL)  # a hard kill: no cleanup, no finally blocks
        training.save_checkpoint = save_then_die

    config = make_config(DannConfig, "smoke", {"epochs": 4})
    domains = load_domains("embedded", ["digits-m", "digits-u"], copies=1)
    pair = DomainPair.of(domains["digits-m"], domains["digits-u"])
    result = run_method("dann", pair, config, data="embedded", seed=0, device=torch.device("cpu"),
                        checkpoint_dir=sys.argv[1])
    print(json.dumps({"accuracy": result.accuracy, "history": result.history}))
""")


def start_child(checkpoints, kill_after=0):
    env = {**os.environ, "KILL_AFTER_EPOCH": str(kill_after), "TQDM_DISABLE": "1"}
    return subprocess.Popen([sys.executable, "-c", CHILD, str(checkpoints)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def finish(child):
    """(return code, stdout, stderr) of a child process, once it has ended."""
    out, err = child.communicate(timeout=300)
    return child.returncode, out, err


def test_killed_dann_run_resumes_and_finishes_like_an_uninterrupted_one(tmp_path):
    # the killed run and the uninterrupted one side by side (two cores, a thread each)
    killed, uninterrupted = start_child(tmp_path / "resumed", kill_after=2), start_child(tmp_path / "fresh")
    try:
        code, _, err = finish(killed)
        assert code == -9, err
        [checkpoint] = (tmp_path / "resumed").glob("dann_*.pt")
        assert load_checkpoint(checkpoint)["epoch"] == 2
        resumed = finish(start_child(tmp_path / "resumed"))
        uninterrupted = finish(uninterrupted)
    finally:
        for child in (killed, uninterrupted):
            if isinstance(child, subprocess.Popen) and child.poll() is None:  # a failed assertion: none left running
                child.kill()
                child.wait()
    assert resumed[0] == 0 and uninterrupted[0] == 0, resumed[2] + uninterrupted[2]
    assert json.loads(resumed[1]) == json.loads(uninterrupted[1])


ROOT = Path(__file__).resolve().parents[2]
PAUSE_AT = {"wgan": 10, "adda": 14, "byol": 7, "segmentation": 7}  # a step of epoch 2: 7, 10, 5 and 5 steps an epoch


def start_run(method, folder, pause_at=0):
    """tests/killed_run.py in a process of its own; with ``pause_at`` it stops after that step until killed."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TQDM_DISABLE": "1", "PAUSE_AT_STEP": str(pause_at)}
    return subprocess.Popen([sys.executable, "-m", "tests.killed_run", method, str(folder)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def assert_same(resumed, uninterrupted, where="result"):
    """Equal to the bit: tensors by torch.equal, everything else by ==."""
    if isinstance(uninterrupted, dict):
        assert resumed.keys() == uninterrupted.keys(), where
        for key in uninterrupted:
            assert_same(resumed[key], uninterrupted[key], f"{where}[{key!r}]")
    elif isinstance(uninterrupted, torch.Tensor):
        equal = torch.equal(resumed, uninterrupted)
        assert equal, where
    else:
        assert resumed == uninterrupted, where


@pytest.mark.parametrize("method", PAUSE_AT)
def test_a_run_killed_mid_epoch_resumes_and_finishes_like_an_uninterrupted_one(method, tmp_path):
    killed = start_run(method, tmp_path / "resumed", pause_at=PAUSE_AT[method])
    try:
        killed_run.main(method, tmp_path / "uninterrupted")  # here, while the other process trains to its pause
        line = killed.stdout.readline().split()
        assert line[:1] == ["paused"], killed.communicate(timeout=120)[1]
        os.kill(killed.pid, signal.SIGKILL)
        killed.communicate(timeout=60)
    finally:
        if killed.poll() is None:
            killed.kill()
    assert killed.returncode == -signal.SIGKILL
    checkpoint, steps_per_epoch = Path(line[1]), int(line[2])
    assert load_checkpoint(checkpoint)["epoch"] == 1  # epoch 1 saved, and the kill came in the middle of epoch 2
    assert 0 < PAUSE_AT[method] - steps_per_epoch < steps_per_epoch
    assert not (tmp_path / "resumed" / "result.pt").exists()

    resumed = start_run(method, tmp_path / "resumed")
    _, err = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, err
    assert_same(load_checkpoint(tmp_path / "resumed" / "result.pt"),
                load_checkpoint(tmp_path / "uninterrupted" / "result.pt"))
