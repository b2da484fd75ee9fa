#!/usr/bin/env python3
"""The GPU check: every GPU measurement and test of the project in one call that a cut cannot waste.

On a machine with a CUDA GPU, from a copy of the checkout, with the machine's own python3 and
PyTorch (no make, no virtual environment; the script puts the checkout on its path):

    python3 scripts/gpu_check.py --data .gpu/data --out "$OUT"

--data is a folder holding cifar-10-batches-py/, inside the checkout so that it travels with it
(`make gpu-data CIFAR=<folder>` fills .gpu/data on a machine without the GPU). --out (default $OUT,
else results/bench) receives gpu_check.json and gpu_check.md, both rewritten after every step, and
gpu_check.log, every step's full output. The steps, most valuable first:

  probe            the GPU, torch, CUDA and the precision `auto` picks, in a subprocess (this
                   process opens no CUDA context)
  bench            ResNet-56 training: images/s and effective TFLOP/s, eager, timed after warm-up
  profile          ResNet-56's warm step: GPU busy time against the unprofiled wall time
  bench-compiled   the same as CUDA graphs (--compile --compile-mode reduce-overhead), timed after
                   the compilation and capture (the rehearsal compiles without graphs)
  precision-P      the engine in bf16, fp16 and fp32 (the one `auto` picks is bench's)
  tests            the gpu-marked tests (when pytest is installed)
  sweep-K          K ResNet-56 runs at once on the GPU (--runs-per-gpu K): aggregate warm images/s
  torchrun         one training run under torchrun

Each step has a time cap and the caps add up within the budget (--budget, 450 s); a step whose cap
does not fit the time left is skipped, never cut short. The report puts issue 24's goals beside what
was measured, with an estimate for the Fig. 6 grid. --rehearse runs every step on the CPU at toy
sizes (ResNet-8, a few steps; compilation without Inductor's code generation), as `make test` does.
Without PyTorch, or without a CUDA GPU outside a rehearsal, it says so in one sentence and exits 1.
Test hook: $GPU_CHECK_EXTRA_STEPS names a JSON list of extra steps ({name, command, cap_s, after}).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(Path(__file__).resolve().parent)]  # the checkout's package; gpu_steps, gpu_report

import gpu_steps  # noqa: E402
from gpu_report import (WarmRates, bench_text, goals, junit_counts, machine, probe_text, result, run_text,  # noqa: E402
                        summary, sweep_text, tests_text, write_text)
from gpu_steps import Step  # noqa: E402
from resnet_study.io import git_commit, read_json, write_json  # noqa: E402  (imports no torch)

# the files with gpu-marked tests
GPU_TEST_FILES = ["tests/test_engine.py", "tests/test_precision.py", "tests/test_gpu_path.py"]
EXTRA_STEPS = "GPU_CHECK_EXTRA_STEPS"


@dataclass(frozen=True)
class Sizes:
    """How big each step is and how long it may take: the GPU's sizes, or the rehearsal's."""

    device: str
    model: str  # the net the bench, profile, precision and sweep steps train
    batch: int
    steps: int  # timed steps of each bench
    warmup: int  # untimed steps first (cuDNN autotuning, compilation)
    concurrent: tuple[int, ...]  # runs at once, one sweep step each
    sharing: str  # the sweep flag that runs them at once
    iterations: int  # of each sweep and torchrun run
    log_every: int
    budget_s: float
    caps: dict[str, float]  # seconds each step may take
    compile_env: dict = field(default_factory=dict)
    graphs: tuple[str, ...] = ()  # bench-compiled's flags for the CUDA-graph path


GPU = Sizes("cuda", "cifar_resnet56", 128, 300, 50, (3, 9), "--runs-per-gpu", 600, 50, 450, {
    "probe": 20, "bench": 45, "profile": 40, "bench-compiled": 120, "precision-bf16": 20, "precision-fp16": 20,
    "precision-fp32": 20, "tests": 50, "sweep-3": 40, "sweep-9": 50, "torchrun": 20},
    graphs=("--compile-mode", "reduce-overhead"))
# Inductor's C++ code generation takes a minute on two cores: the rehearsal compiles with Dynamo and AOTAutograd.
REHEARSAL = Sizes("cpu", "cifar_resnet8", 8, 2, 1, (2,), "--workers", 8, 2, 1200, dict.fromkeys([
    "probe", "bench", "profile", "bench-compiled", "precision-bf16", "precision-fp16", "precision-fp32", "tests",
    "sweep-2", "torchrun"], 120), {"TORCH_COMPILE_OVERRIDE_BACKENDS": ">=0:aot_eager"})

PROBE = """
import importlib.util, json, os, platform, sys, torch
from resnet_study.training.device import cpu_has_native_bf16
from resnet_study.training.precision import choose_precision
cuda = torch.cuda.is_available()
capability = list(torch.cuda.get_device_capability()) if cuda else None
cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), None)
facts = {"cuda_available": cuda, "gpu": torch.cuda.get_device_name() if cuda else None,
         "gpu_count": torch.cuda.device_count(), "capability": capability,
         "gpu_memory_gib": round(torch.cuda.get_device_properties(0).total_memory / 2**30, 1) if cuda else None,
         "auto_precision": choose_precision("auto", sys.argv[1], capability, cpu_has_native_bf16()),
         "torch": torch.__version__, "cuda": torch.version.cuda, "cudnn": torch.backends.cudnn.version(),
         "python": platform.python_version(), "cpu": cpu or platform.processor(), "cpu_count": os.cpu_count(),
         "missing": [m for m in ("torchvision", "numpy", "pandas", "yaml", "tqdm", "filelock", "PIL", "pytest")
                     if importlib.util.find_spec(m) is None]}  # what the steps import (pyproject.toml)
print(json.dumps(facts, indent=2))
json.dump(facts, open(sys.argv[2], "w"))
"""


def plan(sizes: Sizes, data: Path, work: Path) -> list[Step]:
    """The check's steps in order of value; step NAME works in the folder ``work / NAME``."""
    cli = [sys.executable, "-m", "resnet_study.cli"]
    common = ["--device", sizes.device, "--data-dir", str(data), "--no-download", "--batch-size", str(sizes.batch)]
    n = str(sizes.iterations)
    short_run = ["--iterations", n, "--milestones", n, "--log-every", str(sizes.log_every), "--eval-every", n,
                 "--checkpoint-every", n]

    def bench(name: str, *extra: str, env: dict | None = None, skip=lambda report: None) -> Step:
        return Step(name, [*cli, "bench", "--model", sizes.model, "--engine-only", "--steps", str(sizes.steps),
                           "--warmup", str(sizes.warmup), *common, "--json", str(work / name / "bench.json"), *extra],
                    sizes.caps[name], numbers=lambda folder: read_json(folder / "bench.json"), describe=bench_text,
                    env=env or {}, skip=skip)

    def precision(p: str) -> Step:
        def same(report: dict) -> str | None:
            return f"bench measured it: auto picks {p} here" if machine(report).get("auto_precision") == p else None

        return bench(f"precision-{p}", "--precision", p, skip=same)

    def sweep(k: int) -> Step:
        rates = WarmRates(work / f"sweep-{k}" / "sweep" / "runs")
        first_gpu = os.environ.get("CUDA_VISIBLE_DEVICES", "0").split(",")[0]  # k runs share one GPU, not all
        return Step(f"sweep-{k}", [*cli, "sweep", "--models", sizes.model, "--seeds", ",".join(map(str, range(k))),
                                   sizes.sharing, str(k), "--out", str(work / f"sweep-{k}" / "sweep"), *common,
                                   *short_run], sizes.caps[f"sweep-{k}"], numbers=rates.numbers, describe=sweep_text,
                    watch=rates.watch, env={"CUDA_VISIBLE_DEVICES": first_gpu})

    no_pytest = importlib.util.find_spec("pytest") is None
    return [
        Step("probe", [sys.executable, "-c", PROBE, sizes.device, str(work / "probe" / "probe.json")],
             sizes.caps["probe"], numbers=lambda folder: read_json(folder / "probe.json"), describe=probe_text),
        bench("bench"),
        bench("profile", "--profile"),
        bench("bench-compiled", "--compile", *sizes.graphs, env=sizes.compile_env),
        *(precision(p) for p in ("bf16", "fp16", "fp32")),
        Step("tests", [sys.executable, "-m", "pytest", "-q", "-m", "gpu", "-p", "no:cacheprovider",
                       f"--junitxml={work / 'tests' / 'junit.xml'}", *GPU_TEST_FILES], sizes.caps["tests"],
             numbers=lambda folder: junit_counts(folder / "junit.xml"), describe=tests_text,
             skip=lambda report: f"{sys.executable} has no pytest" if no_pytest else None),
        *(sweep(k) for k in sizes.concurrent),
        Step("torchrun", [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=1",
                          "-m", "resnet_study.cli", "train", "--model", sizes.model, "--out",
                          str(work / "torchrun" / "run"), *common, *short_run], sizes.caps["torchrun"],
             numbers=lambda folder: read_json(folder / "run" / "summary.json"), describe=run_text),
    ]


# ---- the check ------------------------------------------------------------------------------------------
class Check:
    def __init__(self, sizes: Sizes, data: Path, out: Path, budget: float, rehearse: bool) -> None:
        self.sizes, self.out, self.budget, self.rehearse = sizes, out, budget, rehearse
        self.work = Path(tempfile.mkdtemp(prefix="gpu-check-"))
        self.steps = plan(sizes, data, self.work)
        if os.environ.get(EXTRA_STEPS):
            gpu_steps.insert_steps(self.steps, Path(os.environ[EXTRA_STEPS]))
        self.report = {
            "check": "scripts/gpu_check.py", "mode": "rehearsal on the CPU at toy sizes" if rehearse else "gpu",
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "commit": git_commit(), "budget_s": budget,
            "caps_s": sum(s.cap_s for s in self.steps), "data": describe_data(data), "machine": None,
            "steps": [gpu_steps.entry(s) for s in self.steps], "goals": []}
        self.log = out / "gpu_check.log"
        self.log.write_text(f"scripts/gpu_check.py {self.report['mode']}, {self.report['started']}, "
                            f"commit {self.report['commit']}\n")

    def run(self) -> int:
        deadline = time.monotonic() + self.budget
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        gpu_steps.stop_on_signals()
        try:
            for step, record in zip(self.steps, self.report["steps"]):
                if reason := step.skip(self.report):
                    record.update(status="skipped", reason=reason)
                else:
                    record["status"] = "running"
                    self.save()
                    gpu_steps.run(step, record, self.work / step.name, self.log, deadline, ROOT, env)
                self.save(step.name)
                told = record.get("reason") or record.get("measured", "")
                print(f"gpu-check: {step.name}: {record['status']} ({record.get('seconds', 0)} s) {told}", flush=True)
                if step.name == "probe" and not (self.rehearse or machine(self.report).get("cuda_available")):
                    return self.stop("no CUDA GPU: the probe saw none", f"gpu-check: this machine has no CUDA GPU "
                                     f"({sys.executable} sees none; gpu_check.log says what the probe found)")
        except gpu_steps.Interrupted as signal_name:
            return self.stop(f"the check was stopped by {signal_name}", f"gpu-check: stopped by {signal_name}; "
                             f"{self.out / 'gpu_check.json'} holds what was measured")
        finally:
            shutil.rmtree(self.work, ignore_errors=True)
        print(f"gpu-check: {self.out / 'gpu_check.json'}, gpu_check.md and gpu_check.log")
        return 0 if all(s["status"] in ("ok", "skipped") for s in self.report["steps"]) else 1

    def stop(self, reason: str, sentence: str) -> int:
        for record in self.report["steps"]:
            if record["status"] == "pending":
                record.update(status="skipped", reason=reason)
        self.save()
        return say(sentence)

    def save(self, finished: str | None = None) -> None:
        """Rewrite gpu_check.json and gpu_check.md atomically: the goals from the steps so far."""
        if finished == "probe":
            self.report["machine"] = result(self.report, "probe") or None
        self.report["goals"] = goals(self.report, self.sizes.model, self.sizes.concurrent)
        self.report["parent_imported_torch"] = "torch" in sys.modules  # must stay False: no CUDA context here
        write_json(self.out / "gpu_check.json", self.report)
        write_text(self.out / "gpu_check.md", summary(self.report))


def describe_data(data: Path) -> dict:
    folder = data / "cifar-10-batches-py"
    return {"folder": str(data), "files": sorted(p.name for p in folder.iterdir()),
            "bytes": sum(p.stat().st_size for p in folder.iterdir() if p.is_file())}


def say(sentence: str) -> int:
    print(sentence, file=sys.stderr)
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     epilog="Needs a python3 with PyTorch; runs from the checkout, no install.")
    parser.add_argument("--data", default=".gpu/data", help="folder holding cifar-10-batches-py/ (default .gpu/data)")
    parser.add_argument("--out", default=os.environ.get("OUT") or "results/bench",
                        help="where gpu_check.json, .md and .log go (default $OUT, else results/bench)")
    parser.add_argument("--budget", type=float, help=f"seconds for the whole check (default {GPU.budget_s:.0f}; "
                                                      f"rehearsal {REHEARSAL.budget_s:.0f})")
    parser.add_argument("--rehearse", action="store_true", help="every step on the CPU at toy sizes (make test)")
    args = parser.parse_args(argv)
    if importlib.util.find_spec("torch") is None:
        return say(f"gpu-check: {sys.executable} has no PyTorch; run this script with a python3 that has torch")
    data, out = Path(args.data).resolve(), Path(args.out)
    if not (data / "cifar-10-batches-py").is_dir():
        return say(f"gpu-check: {args.data} holds no cifar-10-batches-py/; make gpu-data CIFAR=<a CIFAR-10 folder> "
                   f"copies one into .gpu/data (README, GPU section)")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        return say(f"gpu-check: cannot write to {out}: {error.strerror}")
    sizes = REHEARSAL if args.rehearse else GPU
    return Check(sizes, data, out, args.budget or sizes.budget_s, args.rehearse).run()


if __name__ == "__main__":
    sys.exit(main())
