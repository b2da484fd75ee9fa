#!/usr/bin/env python3
"""``make gpu-check``: every GPU acceptance check of the project in one call of at most 8 minutes.

Runs from a copy of the repository with the machine's own ``python3`` and PyTorch and the package
on PYTHONPATH (no virtual environment), on data in ``--data`` (``make gpu-data`` copies
../shared/data/cifar10-subset, 16 MB, into the ignored .gpu/data). Each step is a subprocess with
its own time limit; a step that fails or runs out of time is recorded and the next one runs:

  tests      the gpu-marked tests (when pytest is installed)
  bench      ResNet-20, -56 and -110 at batch 128: our engine against a conventional loop
  profile    ResNet-56's step: GPU kernel time against launch gaps
  sweep-K    8 runs of ResNet-56 at --runs-per-gpu K = 1, 2, 4, 8: aggregate images/s
  torchrun   one training run under torchrun with one process
  compile    one training run with --compile
  precision  the engine in each precision the GPU supports

Writes OUT/gpu_check.json (every step's command, exit status, seconds and numbers) and
OUT/gpu_check.md (a summary). Without CUDA it says so in one sentence and exits with status 1.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BUDGET_S = 480  # the whole check, on one GPU
CLI = [sys.executable, "-m", "resnet_study.cli"]
GPU_TEST_FILES = ["tests/test_engine.py", "tests/test_precision.py"]  # the files with gpu-marked tests
GRID_DEPTHS = [20, 32, 44, 56, 20, 32, 44, 56, 110]  # Fig. 6's nine nets (experiments/cifar_sweep.yaml)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=".gpu/data", help="folder holding cifar-10-batches-py/")
    parser.add_argument("--out", default="results/bench", help="where gpu_check.json and gpu_check.md go")
    args = parser.parse_args()
    try:
        import torch
    except ImportError:
        return say("gpu-check: this python3 has no PyTorch; run it where torch is installed")
    if not torch.cuda.is_available():
        return say(f"gpu-check: this machine has no CUDA GPU (torch {torch.__version__} sees none); "
                   f"run make gpu-check on a machine with one")
    if not (Path(args.data) / "cifar-10-batches-py").is_dir():
        return say(f"gpu-check: no CIFAR-10 data in {args.data}; run make gpu-data first (or pass GPU_DATA=)")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    check = Check(Path(args.data).resolve(), out, torch)
    check.run_all()
    (out / "gpu_check.json").write_text(json.dumps(check.report, indent=2) + "\n")
    (out / "gpu_check.md").write_text(check.summary())
    print(f"gpu-check: {out / 'gpu_check.json'} and {out / 'gpu_check.md'}")
    return 0 if all(s["ok"] for s in check.report["steps"]) else 1


def say(sentence: str) -> int:
    print(sentence, file=sys.stderr)
    return 1


class Check:
    def __init__(self, data: Path, out: Path, torch) -> None:
        self.data, self.out, self.started = data, out, time.monotonic()
        self.scratch = Path(tempfile.mkdtemp(prefix="gpu-check-"))
        self.capability = torch.cuda.get_device_capability()
        self.report = {"gpu": torch.cuda.get_device_name(), "capability": list(self.capability),
                       "torch": torch.__version__, "cuda": torch.version.cuda, "python": sys.version.split()[0],
                       "commit": git_commit(), "data": f"{data} (the shared CIFAR-10 subset: 5,170 training images)",
                       "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "steps": []}

    def left(self) -> float:
        return BUDGET_S - (time.monotonic() - self.started)

    def step(self, name: str, command: list[str], limit: float, result: Path | None = None) -> dict:
        """Run ``command`` for at most ``limit`` seconds (less when the budget is nearly spent)."""
        entry = {"step": name, "command": " ".join(command), "ok": False}
        limit = min(limit, self.left() - 5)
        if limit < 10:
            entry["outcome"] = "skipped: the 8-minute budget was spent"
        else:
            start = time.monotonic()
            try:
                done = subprocess.run(command, capture_output=True, text=True, timeout=limit)
                entry.update(ok=done.returncode == 0, exit_status=done.returncode,
                             tail=(done.stdout + done.stderr).strip().splitlines()[-8:])
            except subprocess.TimeoutExpired:
                entry["outcome"] = f"timed out after {limit:.0f} s"
            entry["seconds"] = round(time.monotonic() - start, 1)
            if result is not None and result.exists():
                entry["result"] = json.loads(result.read_text())
        print(f"gpu-check: {name}: {'ok' if entry['ok'] else entry.get('outcome', 'failed')}", flush=True)
        self.report["steps"].append(entry)
        return entry

    def run_all(self) -> None:
        data = ["--data-dir", str(self.data)]
        try:
            import pytest  # noqa: F401
            self.step("tests", [sys.executable, "-m", "pytest", "-q", "-m", "gpu", "-p", "no:cacheprovider",
                                *GPU_TEST_FILES], 100)
        except ImportError:
            self.report["steps"].append({"step": "tests", "ok": True, "outcome": "skipped: pytest is not installed"})
        for model in ("cifar_resnet20", "cifar_resnet56", "cifar_resnet110"):
            json_path = self.scratch / f"bench-{model}.json"
            self.step(f"bench {model}", [*CLI, "bench", "--model", model, "--batch-size", "128", "--steps", "100",
                                         "--warmup", "20", "--loader-workers", "8", *data, "--json", str(json_path)],
                      60, json_path)
        json_path = self.scratch / "profile.json"
        self.step("profile cifar_resnet56", [*CLI, "bench", "--model", "cifar_resnet56", "--engine-only", "--profile",
                                             "--steps", "50", *data, "--json", str(json_path)], 40, json_path)
        for k in (1, 2, 4, 8):
            sweep = self.scratch / f"sweep-{k}"
            entry = self.step(f"sweep --runs-per-gpu {k}", [
                *CLI, "sweep", "--models", "cifar_resnet56", "--seeds", "0,1,2,3,4,5,6,7", "--runs-per-gpu", str(k),
                "--out", str(sweep), *data, "--iterations", "200", "--set", "milestones=150", "eval_every=200",
                "log_every=100", "checkpoint_every=200"], 60)
            entry.update(self.sweep_throughput(sweep, k, entry.get("seconds")))
        run = self.scratch / "torchrun"
        self.step("torchrun, one process", [sys.executable, "-m", "torch.distributed.run", "--standalone",
                                            "--nproc_per_node=1", "-m", "resnet_study.cli", "train", "--model",
                                            "cifar_resnet20", "--out", str(run), *data, "--iterations", "300",
                                            "--set", "milestones=200", "eval_every=300"], 60, run / "summary.json")
        run = self.scratch / "compile"
        self.step("--compile", [*CLI, "train", "--model", "cifar_resnet56", "--out", str(run), *data, "--compile",
                                "--iterations", "400", "--set", "milestones=300", "eval_every=400"],
                  120, run / "summary.json")
        for precision in ("bf16", "fp16", "fp32") if self.capability >= (8, 0) else ("fp16", "fp32"):
            json_path = self.scratch / f"precision-{precision}.json"
            self.step(f"precision {precision}", [*CLI, "bench", "--model", "cifar_resnet56", "--engine-only",
                                                 "--precision", precision, "--steps", "100", *data,
                                                 "--json", str(json_path)], 40, json_path)

    def sweep_throughput(self, sweep: Path, k: int, seconds: float | None) -> dict:
        """Aggregate images/s of a sweep: k concurrent runs' own rates summed, and all its images over its wall time."""
        import csv

        runs_csv = sweep / "runs.csv"
        if not runs_csv.exists():
            return {}
        rows = list(csv.DictReader(open(runs_csv)))
        rates = [float(r["images_per_second"]) for r in rows if r.get("images_per_second")]
        images = sum(int(float(r["iterations"] or 0)) * 128 for r in rows)
        return {"runs": len(rows), "done": sum(r["status"] == "done" for r in rows),
                "aggregate_images_per_second": round(k * sum(rates) / len(rates), 1) if rates else None,
                "wall_images_per_second": round(images / seconds, 1) if seconds else None}

    def summary(self) -> str:
        r = self.report
        lines = [f"# GPU check: {r['gpu']} (compute capability {r['capability'][0]}.{r['capability'][1]})", "",
                 f"torch {r['torch']}, CUDA {r['cuda']}, Python {r['python']}, commit {r['commit']}, {r['started']}.",
                 f"Data: {r['data']}; every number below comes from this run of `make gpu-check`.", "",
                 "| step | outcome | seconds | numbers |", "|---|---|---|---|"]
        for s in r["steps"]:
            outcome = "ok" if s["ok"] else s.get("outcome", f"failed (exit status {s.get('exit_status')})")
            lines.append(f"| {s['step']} | {outcome} | {s.get('seconds', '')} | {numbers(s)} |")
        lines += ["", *goals(r["steps"])]
        return "\n".join(lines) + "\n"


def numbers(step: dict) -> str:
    result = step.get("result") or {}
    if "profile" in result:
        p = result["profile"]
        return (f"{p['wall_ms_per_step']} ms/step: {p['kernel_ms_per_step']} ms kernels, "
                f"{p['gap_ms_per_step']} ms launch gaps")
    if "engine_images_per_second" in result:
        text = f"engine {result['engine_images_per_second']:,.0f} images/s ({result['precision']})"
        if "speedup" in result:
            text += f", conventional {result['conventional_images_per_second']:,.0f}, {result['speedup']}x"
        return text
    if "images_per_second" in result:
        return f"{result['images_per_second']:,.0f} images/s over {result['iterations']} iterations"
    if step.get("aggregate_images_per_second"):
        return (f"{step['done']}/{step['runs']} runs done; {step['aggregate_images_per_second']:,.0f} images/s "
                f"summed over concurrent runs, {step['wall_images_per_second']:,.0f} over the wall time")
    return ""


def goals(steps: list[dict]) -> list[str]:
    """The issue's goals beside what this check measured (they are H100 goals)."""
    bench = next((s.get("result") for s in steps if s["step"] == "bench cifar_resnet56"), None) or {}
    sweeps = [s["aggregate_images_per_second"] for s in steps if s.get("aggregate_images_per_second")]
    lines = ["## Goals (for one H100)", ""]
    if bench:
        lines.append(f"- ResNet-56 >= 25,000 images/s: measured {bench['engine_images_per_second']:,.0f}.")
        if "speedup" in bench:
            lines.append(f"- >= 10x the conventional loop: measured {bench['speedup']}x.")
    if sweeps:
        best = max(sweeps)  # ResNet-56's best aggregate rate; other depths scaled by 56/depth
        hours = sum(64_000 * 128 / (best * 56 / d) for d in GRID_DEPTHS) / 3600
        lines.append(f"- Fig. 6 grid (9 nets x 64k iterations) <= 30 minutes: about {hours * 60:,.0f} minutes, "
                     f"estimated from ResNet-56's best aggregate rate ({best:,.0f} images/s) scaled by depth.")
    lines.append("- Where a figure falls short, the profile step's kernel time against launch gaps says why.")
    return lines


def git_commit() -> str:
    try:
        return subprocess.run(["git", "describe", "--always", "--dirty", "--abbrev=12"], capture_output=True,
                              text=True, timeout=10).stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


if __name__ == "__main__":
    sys.exit(main())
