"""How a step runs fast: ``torch.compile`` and its CUDA-graph mode.

ResNet-56 at batch 128 is about 800 kernel launches per training step, so launch overhead, not the
GPU, caps eager mode on fast GPUs. ``--compile --compile-mode reduce-overhead`` compiles the net with
Inductor and replays each step's forward and backward as CUDA graphs (one launch each); the loader,
the loss, the metric sums and the optimiser stay outside, eager, so the graphs hold only the net.
"""

from __future__ import annotations

import torch

from ..config.values import CUDA_GRAPH_MODES
from ..errors import StudyError


def uses_cuda_graphs(cfg) -> bool:
    """Whether ``cfg`` trains its net as CUDA graphs (``--compile`` in a mode that captures them)."""
    return bool(cfg.run.compile) and cfg.run.compile_mode in CUDA_GRAPH_MODES


def compile_network(network: torch.nn.Module, cfg, device: torch.device, world: int = 1):
    """``network`` as the run trains it: itself, or ``torch.compile``d in ``cfg.run.compile_mode``.
    One sentence for CUDA graphs off a CUDA GPU or across processes (DDP's gradient hooks run
    between the graphs' launches; untested, so refused)."""
    if not cfg.run.compile:
        return network
    if uses_cuda_graphs(cfg) and device.type != "cuda":
        raise StudyError(f"compile-mode {cfg.run.compile_mode} captures CUDA graphs, which need a CUDA GPU; use "
                         f"--device cuda, or --compile-mode default on {device.type}")
    if uses_cuda_graphs(cfg) and world > 1:
        raise StudyError(f"compile-mode {cfg.run.compile_mode} (CUDA graphs) trains one process per run; use "
                         f"--compile-mode default under torchrun")
    # Each run compiles afresh: a sweep worker trains net after net in one process, and Dynamo's
    # recompile limit (8 per function) would train its 9th architecture eagerly, silently.
    torch.compiler.reset()
    return torch.compile(network, mode=None if cfg.run.compile_mode == "default" else cfg.run.compile_mode)


def begin_step(cfg) -> None:
    """Before each training step's forward: tell the CUDA-graph runtime that a new step begins, so
    that it may reuse the memory of the last step's outputs (the loop has read them by then)."""
    if uses_cuda_graphs(cfg):
        torch.compiler.cudagraph_mark_step_begin()
