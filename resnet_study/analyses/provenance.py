"""What made a results folder, in ``run.json`` beside its tables: data, nets and whose, settings, seeds,
the CPU (lscpu's model name and its avx2/avx512_bf16 flags), whether the machine was loaded (load
average against cores), torch version, commit, wall time and images per second, and the time and
image passes estimated before the run began (``analyses.estimate``) beside them."""

from __future__ import annotations

import os
import time
from pathlib import Path

import torch

from ..io import git_commit, read_json, write_json
from ..training.device import cpu_model


def cpu_description() -> str:
    """``lscpu``'s model name, core count and the bf16/AVX flags that decide the precision."""
    try:
        flags = set(Path("/proc/cpuinfo").read_text().split())
    except OSError:
        flags = set()
    named = [f for f in ("avx2", "avx512f", "avx512_bf16", "amx_bf16") if f in flags]
    return f"{cpu_model()}, {os.cpu_count()} cores, flags {' '.join(named) or 'none of avx2/avx512_bf16'}"


class Provenance:
    """Times one analysis run and records it in ``folder/run.json`` (merged with earlier runs' entries:
    a resumed run adds its seconds to the ones before)."""

    def __init__(self, folder: str | Path, analysis: str, settings: dict, nets: list, device: torch.device,
                 precision: str) -> None:
        self.path = Path(folder) / "run.json"
        self.start = time.perf_counter()
        self.load_start = os.getloadavg()[0]
        self.record = {
            "analysis": analysis, "settings": settings, "nets": nets, "device": str(device),
            "cpu": cpu_description(), "threads": torch.get_num_threads(), "precision": precision,
            "torch_version": torch.__version__, "commit": git_commit(),
        }

    def finish(self, images_evaluated: int, estimate: dict | None = None) -> dict:
        """Write ``run.json``; ``images_evaluated``: image passes (forward, or forward and backward) this run made;
        ``estimate``: entries for the session, what was estimated before computing began and the time computing
        took (``estimated_seconds``, ``computing_seconds``, ``planned_passes``)."""
        seconds = time.perf_counter() - self.start
        earlier = read_json(self.path) or {}
        sessions = earlier.get("sessions", []) + [{
            "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "seconds": round(seconds, 1),
            **(estimate or {}), "image_passes": images_evaluated,
            "images_per_second": round(images_evaluated / max(seconds, 1e-9), 1),
            "load_average_start": round(self.load_start, 2), "load_average_end": round(os.getloadavg()[0], 2),
            "cores": os.cpu_count(), **{k: self.record[k] for k in ("cpu", "threads", "device", "precision",
                                                                    "torch_version", "commit")}}]
        write_json(self.path, {**self.record, "sessions": sessions,
                               "seconds": round(sum(s["seconds"] for s in sessions), 1)})
        return sessions[-1]
