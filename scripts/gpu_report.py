"""What the GPU check's steps measured and what its report says: sweep runs' warm rates, test
counts, issue 24's goals beside what was measured, the Fig. 6 grid estimate, and the report as
Markdown tables."""

from __future__ import annotations

import os
import re
from pathlib import Path

from resnet_study.io import read_json  # imports no torch
from resnet_study.paper import FIG6_DEPTHS  # imports no torch

GRID_DEPTHS = FIG6_DEPTHS["plain"] + FIG6_DEPTHS["resnet"]  # Fig. 6's nine nets (experiments/cifar_sweep.yaml)
GRID_IMAGES = 64_000 * 128  # each net's training: 64k iterations of batch 128 (section 4.2)


# ---- what the steps measured ---------------------------------------------------------------------------
class WarmRates:
    """Each sweep run's warm images/s, from its progress.json while it trains: between the first
    row seen and the run's end, so that start-up and cuDNN autotuning are left out. A row's
    cumulative rate r (images/s) at iteration i means i * batch / r seconds of training, so the
    window's rate is (i1 - i0) / (i1 / r1 - i0 / r0), whatever the batch."""

    def __init__(self, runs: Path) -> None:
        self.runs, self.first, self.last = runs, {}, {}

    def watch(self, work: Path) -> None:
        for path in self.runs.glob("*/progress.json"):
            row = read_json(path)
            if row and row.get("images_per_second"):
                point = (row["iteration"], row["images_per_second"])
                self.first.setdefault(path.parent.name, point)
                self.last[path.parent.name] = point

    def numbers(self, work: Path) -> dict:
        self.watch(work)
        rates = {}
        for name, (i0, r0) in sorted(self.first.items()):
            summary = read_json(self.runs / name / "summary.json") or {}
            i1, r1 = (summary["iterations"], summary["images_per_second"]) if summary.get("images_per_second") \
                else self.last[name]
            rates[name] = {"from_iteration": i0, "to_iteration": i1,
                           "images_per_second": round((i1 - i0) / (i1 / r1 - i0 / r0), 1) if i1 > i0 else None}
        measured = [r["images_per_second"] for r in rates.values() if r["images_per_second"]]
        return {"runs_done": len(list(self.runs.glob("*/summary.json"))), "warm": rates, "runs_measured": len(measured),
                "aggregate_images_per_second": round(sum(measured), 1) if measured else None}


def junit_counts(path: Path) -> dict | None:
    import xml.etree.ElementTree as ET

    if not path.exists():
        return None
    suite = ET.parse(path).getroot()
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
    return {key: int(suite.get(key, 0)) for key in ("tests", "failures", "errors", "skipped")}


def machine(report: dict) -> dict:
    return report.get("machine") or {}


def result(report: dict, name: str) -> dict:
    return next((s.get("result") for s in report["steps"] if s["name"] == name), None) or {}


# ---- the goals, for ResNet-56 on one H100/H200-class GPU ---------------------------------------------
def goals(report: dict, model: str, concurrent: tuple[int, ...]) -> list[dict]:
    """Each goal beside what the check measured of ``model`` (None where its step did not measure it);
    ``concurrent``: the runs at once of its sweep steps."""
    profile = result(report, "profile").get("profile") or {}
    grid = grid_estimate(report, model, concurrent)

    def goal(what: str, step: str, measured, target: float, unit: str, at_least: bool = True) -> dict:
        met = None if measured is None else measured >= target if at_least else measured <= target
        return {"goal": what, "step": step, "target": f"{'>=' if at_least else '<='} {target:,} {unit}",
                "measured": measured, "met": met}

    return [
        goal(f"{model} training, eager", "bench", result(report, "bench").get("engine_images_per_second"),
             25_000, "images/s"),
        goal(f"{model} training as CUDA graphs (--compile-mode reduce-overhead)", "bench-compiled",
             result(report, "bench-compiled").get("engine_images_per_second"), 40_000, "images/s"),
        goal("GPU busy share of an eager step's wall time", "profile", profile.get("busy_share"), 0.85,
             "of the wall time"),
        goal(f"Fig. 6 grid estimated from {model}'s warm rates, runs sharing the GPU", "bench and sweep-K",
             grid.get("minutes"), 20, "minutes", at_least=False) | {"estimate": grid},
    ]


def grid_estimate(report: dict, model: str, concurrent: tuple[int, ...]) -> dict:
    """Minutes for the Fig. 6 grid at each measured number of runs at once, and the best: the
    aggregate warm rate with n runs at once is the bench's for n = 1 and sweep-n's otherwise."""
    rates = {1: result(report, "bench").get("engine_images_per_second")}
    rates |= {k: result(report, f"sweep-{k}").get("aggregate_images_per_second") for k in concurrent}
    rates = {k: r for k, r in rates.items() if r}
    if not rates:
        return {}
    depth = int(re.search(r"\d+$", model).group())
    minutes = {k: round(grid_seconds(rates, k, depth) / 60, 1) for k in sorted(rates)}
    best = min(minutes, key=minutes.get)
    return {"aggregate_images_per_second": {str(k): r for k, r in rates.items()},
            "minutes_by_runs_at_once": {str(k): m for k, m in minutes.items()}, "runs_at_once": best,
            "minutes": minutes[best]}


def grid_seconds(rates: dict[int, float], slots: int, depth: int) -> float:
    """Seconds to train GRID_DEPTHS' nets for GRID_IMAGES each, longest first, ``slots`` at a time,
    when n runs at once share ``rates[n]`` images/s of the measured net of ``depth`` (linear between
    measured n, flat beyond). A CIFAR net of depth d has d - 2 convolutions of the same three widths,
    so its images cost (d - 2) / (depth - 2) of the measured net's. Evaluation is not counted."""
    queue = sorted((GRID_IMAGES * (d - 2) / (depth - 2) for d in GRID_DEPTHS), reverse=True)
    active, seconds = [], 0.0
    while queue or active:
        while queue and len(active) < slots:
            active.append(queue.pop(0))
        share = interpolate(rates, len(active)) / len(active)
        done = min(active)
        seconds += done / share
        active = [w - done for w in active if w > done]
    return seconds


def interpolate(points: dict[int, float], n: int) -> float:
    """``points`` at ``n``: linear between the two nearest, flat beyond the ends."""
    below = [k for k in points if k <= n] or [min(points)]
    above = [k for k in points if k >= n] or [max(points)]
    lo, hi = max(below), min(above)
    return points[lo] if lo == hi else points[lo] + (points[hi] - points[lo]) * (n - lo) / (hi - lo)


# ---- the report as Markdown ----------------------------------------------------------------------------
def bench_text(r: dict) -> str:
    compiled = (", CUDA graphs" if r.get("compile_mode") == "reduce-overhead" else ", compiled") if r["compile"] else ""
    text = (f"{r['engine_images_per_second']:,.0f} images/s, {r['engine_tflops']:.3g} TFLOP/s ({r['precision']}"
            f"{' with TF32 convolutions' if r.get('tf32_convolutions') else ''}{compiled}); "
            f"warm-up {r['warmup_seconds']} s")
    if (p := r.get("profile")) and p.get("busy_share") is not None:
        text += f"; GPU busy {p['busy_share']:.0%} of {p['wall_ms_per_step']} ms a step"
    return text


def sweep_text(r: dict) -> str:
    rate = r["aggregate_images_per_second"]
    return f"{rate:,.0f} images/s warm, summed over {r['runs_measured']} runs" if rate else "no warm rate measured"


def tests_text(r: dict) -> str:
    return ", ".join(f"{r[k]} {k}" for k in ("tests", "failures", "errors", "skipped"))


def probe_text(r: dict) -> str:
    missing = f"; missing: {', '.join(r['missing'])}" if r["missing"] else ""
    return (f"{r['gpu'] or r['cpu']}, torch {r['torch']}, CUDA {r['cuda']}, auto precision {r['auto_precision']}"
            f"{missing}")


def run_text(r: dict) -> str:
    return f"run {r['status']}, {r['images_per_second']} images/s"


def summary(report: dict) -> str:
    m = report["machine"] or {}
    lines = [f"# GPU check ({report['mode']}): {m.get('gpu') or m.get('cpu') or 'machine not probed yet'}", "",
             f"torch {m.get('torch')}, CUDA {m.get('cuda')}, cuDNN {m.get('cudnn')}, Python {m.get('python')}, "
             f"CPU {m.get('cpu')} ({m.get('cpu_count')} cores); commit {report['commit']}, "
             f"started {report['started']}.",
             f"Data: {report['data']['folder']} ({len(report['data']['files'])} files, "
             f"{report['data']['bytes']:,} bytes).",
             "", "| step | status | seconds | measured |", "|---|---|---|---|"]
    for s in report["steps"]:
        lines.append(f"| {s['name']} | {s['status']} | {s.get('seconds', '')} | "
                     f"{s.get('reason') or s.get('measured', '')} |")
    lines += ["", "| goal | target | measured | met |", "|---|---|---|---|"]
    lines += [f"| {g['goal']} | {g['target']} | {g['measured']} | {g['met']} |" for g in report["goals"]]
    return "\n".join(lines) + "\n"


def write_text(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text)
    os.replace(temporary, path)

