"""The checkpoint: one schema (``Checkpoint``), written atomically beside the one it replaces.

``checkpoint.pt`` holds everything a run needs to go on as if it had never stopped: the net and
optimiser, the loop's counters (``Progress``), the half-summed metrics of the logging interval,
the RNG, the config, the data's fingerprint, the CPU thread count, fp16's loss scaler (older
checkpoints have no ``scaler``: they were never fp16) and the type of device that made it (older
ones: ``""``). Every tensor is loaded to the CPU first, so a checkpoint reads the same on any device
and the trainer moves it where it trains. ``net`` says how to rebuild
and feed the net without the run folder (model name and options, input normalisation, precision),
so ``create_model(name, weights="checkpoint.pt")`` needs nothing else. On disk it is one flat dict,
as torchvision's reference trainer saves it.
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import torch

from ..errors import StudyError
from ..io import atomic_path
from .artefacts import CHECKPOINT as CHECKPOINT_FILE, LOGS, PREVIOUS_CHECKPOINT as PREVIOUS_FILE
from .state import Progress

CHECKPOINT, PREVIOUS_CHECKPOINT = CHECKPOINT_FILE.file, PREVIOUS_FILE.file


@dataclass
class Checkpoint:
    progress: Progress  # the loop's counters and the interval's sums
    model: dict  # state dicts
    optimizer: dict
    torch_rng: torch.Tensor
    config: dict  # TrainConfig.to_dict() as requested
    data: dict  # the data's fingerprint: image count and sha1
    cpu_threads: int
    net: dict = field(default_factory=dict)  # model, kwargs, normalize, mean, std, holdout, precision
    scaler: dict = field(default_factory=dict)  # fp16's GradScaler state (scale, growth tracker); {} otherwise
    device: str = ""  # the type of device that made it: cpu, cuda, mps ("" before it was recorded)

    def to_dict(self) -> dict:
        state = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "progress"}
        return {**self.progress.to_dict(), **state}

    @classmethod
    def from_dict(cls, state: dict) -> "Checkpoint":
        counters = Progress.keys()
        return cls(Progress.from_dict(state), **{k: v for k, v in state.items() if k not in counters})


REQUIRED = {"iteration", "model", "optimizer", "metrics", "first_bad", "torch_rng", "config", "data", "cpu_threads",
            "interval_images", *(log.counter for log in LOGS)}


def save_checkpoint(folder: Path, checkpoint: Checkpoint) -> None:
    """Write ``checkpoint.pt``; the one it replaces becomes ``checkpoint.prev.pt``."""
    target = folder / CHECKPOINT
    with atomic_path(target) as tmp:
        with open(tmp, "wb") as handle:  # a file object, so a full disk raises OSError(ENOSPC)
            try:
                torch.save(checkpoint.to_dict(), handle)
            except RuntimeError as err:  # torch's zip writer fails again while closing, hiding that OSError
                if isinstance(err.__context__, OSError):
                    raise err.__context__ from None
                raise
        if target.exists():
            target.replace(folder / PREVIOUS_CHECKPOINT)


def load_checkpoint(folder: Path, warn) -> Checkpoint | None:
    """The newest readable checkpoint of ``folder``, its tensors on the CPU (None when it has none);
    falls back to the previous one, with a warning, when the newest is damaged."""
    problems = []
    for path in (folder / CHECKPOINT, folder / PREVIOUS_CHECKPOINT):
        if not path.exists():
            continue
        try:
            with warnings.catch_warnings():  # garbage can look like a newer pickle protocol: a warning
                warnings.simplefilter("ignore")
                state = torch.load(path, map_location="cpu", weights_only=True)  # readable on any device
        except Exception as err:  # truncated zip, bad pickle, wrong magic: all mean "damaged"
            problems.append(f"{path.name}: {type(err).__name__}")
            continue
        if (not isinstance(state, dict) or not REQUIRED <= set(state)
                or not all(isinstance(state[k], dict) for k in ("model", "optimizer", "config", "data"))):
            problems.append(f"{path.name}: not a checkpoint of this version")
            continue
        if problems:
            warn(f"warning: {folder / CHECKPOINT} is unreadable ({problems[0]}); resuming from "
                 f"{path.name} at iteration {state['iteration']}")
        return Checkpoint.from_dict(state)
    if problems:
        # Read to the CPU, a file fails the same way on every device: a damaged one, or one of another torch.
        raise StudyError(f"{folder / CHECKPOINT} is corrupt or truncated ({'; '.join(problems)}); if another "
                         f"torch version wrote it, resume with that version, else move the checkpoint files "
                         f"aside to start the run over")
    return None


def check_same_numerics(path: Path, checkpoint: Checkpoint, fingerprint: dict, data_dir: str,
                        device: torch.device) -> None:
    """A checkpoint resumes only on the data it was made with and, when a CPU made it and a CPU
    resumes it, with the same thread count (another device changes the numbers anyway)."""
    data = checkpoint.data
    if data != fingerprint:
        raise StudyError(f"{path} was trained on other data ({data.get('images')} images, sha1 "
                         f"{str(data.get('sha1'))[:12]}) than {data_dir} holds "
                         f"({fingerprint['images']} images, sha1 {fingerprint['sha1'][:12]}); "
                         f"point --data-dir at the run's data or choose another --out")
    made_on_cpu = checkpoint.device in ("cpu", "")
    if device.type == "cpu" and made_on_cpu and checkpoint.cpu_threads != torch.get_num_threads():
        raise StudyError(f"{path} was made with {checkpoint.cpu_threads} CPU threads and this process has "
                         f"{torch.get_num_threads()}, which changes the numbers; resume with "
                         f"OMP_NUM_THREADS={checkpoint.cpu_threads}")
