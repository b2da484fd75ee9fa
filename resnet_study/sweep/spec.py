"""A sweep's definition: every model with every seed, one preset plus overrides, from YAML or flags."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..config import make_config
from ..errors import StudyError
from ..io import check_writable, read_json, write_json

SPEC_FILE = "sweep.json"  # OUT/sweep.json: the grid, so that ``resnet-study status OUT`` knows queued runs


@dataclass
class Sweep:
    """A grid of runs: every model with every seed, one preset plus overrides."""

    out: str
    models: list[str]
    seeds: list[int] = field(default_factory=lambda: [0])
    preset: str = "paper"
    overrides: dict = field(default_factory=dict)  # flat config keys (config.KEYS), e.g. data_dir, iterations
    name: str = "sweep"
    nproc_per_run: int = 1  # > 1: each run is a DistributedDataParallel job started with torchrun

    def runs(self) -> list[tuple[str, int]]:
        return [(model, seed) for model in self.models for seed in self.seeds]

    def config(self, model: str, seed: int, device: str | None = None):
        values = dict(self.overrides, model=model, seed=seed)
        if device is not None:
            values["device"] = device
        return make_config(self.preset, values)

    def run_dir(self, model: str, seed: int) -> Path:
        return Path(self.out) / "runs" / f"{model}-s{seed}"

    def save(self) -> None:
        """Write ``OUT/sweep.json`` (everything but ``out``, which is where it lies)."""
        Path(self.out).mkdir(parents=True, exist_ok=True)
        write_json(Path(self.out) / SPEC_FILE, {k: v for k, v in dataclasses.asdict(self).items() if k != "out"})

    def check_data(self) -> None:
        """Load (or download, once) the sweep's data: bad data stops here, before anything is written."""
        import warnings

        from ..data import dataset_info
        from ..training.device import resolve_device

        cfg = self.config(*self.runs()[0])
        resolve_device(cfg.run.device)  # cuda on a machine without one: one sentence, not a failure per run
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # each run states its own subset warning
            dataset_info(cfg.data.dataset).prepare(cfg)

    def validate(self) -> "Sweep":
        for key, kinds in (("out", (str, os.PathLike)), ("name", str), ("preset", str)):
            if not isinstance(getattr(self, key), kinds):
                raise StudyError(f"{key} must be a name; got {getattr(self, key)!r}")
        if type(self.nproc_per_run) is not int or self.nproc_per_run < 1:
            raise StudyError(f"nproc_per_run must be an integer, 1 or more; got {self.nproc_per_run!r}")
        if not isinstance(self.models, list) or not all(isinstance(m, str) for m in self.models):
            raise StudyError(f"models must be a list of model names, e.g. [cifar_plain20, cifar_resnet20]; "
                             f"got {self.models!r}")
        if not isinstance(self.seeds, list) or not all(type(s) is int for s in self.seeds):
            raise StudyError(f"seeds must be a list of integers, e.g. [0, 1, 2]; got {self.seeds!r}")
        if not self.models:
            raise StudyError("a sweep needs at least one model (--models or a config's models:)")
        if not self.seeds:
            raise StudyError("a sweep needs at least one seed")
        for name, values in (("model", self.models), ("seed", self.seeds)):
            repeated = sorted({str(v) for v in values if values.count(v) > 1})
            if repeated:
                raise StudyError(f"{name} {', '.join(repeated)} is listed more than once; each run must "
                                 f"appear once so that seed means weigh every run equally")
        for key in ("model", "seed"):
            if key in self.overrides:
                raise StudyError(f"a sweep sets each run's {key} from its {key}s list; remove {key} from overrides")
        for model, seed in self.runs():
            self.config(model, seed).validate()
        check_writable(self.out)
        return self


def load_sweep(path: str | Path, **overrides) -> Sweep:
    """A sweep from YAML (keys: name, models, seeds, preset, overrides); ``overrides`` win."""
    path = Path(path)
    if not path.exists():
        raise StudyError(f"sweep config {path} does not exist")
    try:
        spec = yaml.safe_load(path.read_text()) or {}
    except (OSError, UnicodeDecodeError) as err:
        raise StudyError(f"sweep config {path} cannot be read ({type(err).__name__}); give a YAML file") from None
    except yaml.YAMLError as err:
        where = getattr(err, "problem_mark", None)
        line = f" at line {where.line + 1}" if where is not None else ""
        raise StudyError(f"{path} is not valid YAML{line}; fix it or start from experiments/cifar_quick.yaml") from None
    if not isinstance(spec, dict):
        raise StudyError(f"{path} must be a YAML mapping with keys name, models, seeds, preset, overrides")
    if not isinstance(spec.get("overrides") or {}, dict):
        raise StudyError(f"{path}: overrides must be a mapping of config keys to values")
    unknown = set(spec) - {f.name for f in dataclasses.fields(Sweep)} - {"description"}
    if unknown:
        raise StudyError(f"{path}: unknown key(s) {', '.join(sorted(unknown))}; keys are name, models, seeds, "
                         f"preset, overrides")
    spec.pop("description", None)
    spec.setdefault("name", path.stem)
    spec["overrides"] = {**(spec.get("overrides") or {}), **overrides.pop("overrides", {})}
    spec.update({k: v for k, v in overrides.items() if v is not None})
    if "models" not in spec:
        raise StudyError(f"{path} lists no models; add models: [cifar_plain20, cifar_resnet20] or give --models")
    return Sweep(**spec)


def saved_sweep(out: str | Path) -> Sweep:
    """The sweep of folder ``out``, read without writing: its ``sweep.json``, or for folders made
    before sweep.json existed, the models and seeds of the run folders in ``out/runs``."""
    out = Path(out)
    if not out.is_dir():
        raise StudyError(f"{out} is not a sweep folder (no such folder); give the --out of a sweep")
    spec = read_json(out / SPEC_FILE)
    if spec is not None:
        known = {f.name for f in dataclasses.fields(Sweep)} - {"out"}
        return Sweep(out=str(out), **{k: v for k, v in spec.items() if k in known})
    names = sorted(p.name.rpartition("-s") for p in (out / "runs").glob("*-s*") if p.is_dir())
    runs = [(model, int(seed)) for model, _, seed in names if seed.isdigit()]
    if not runs:
        raise StudyError(f"{out} holds no sweep.json and no run folders in {out / 'runs'}; give the --out of a sweep")
    return Sweep(out=str(out), models=sorted({m for m, _ in runs}), seeds=sorted({s for _, s in runs}))
