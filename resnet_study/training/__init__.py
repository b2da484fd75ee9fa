"""Training: one run of one net into a run folder, and what reads trained nets back.

``train(cfg, out)`` / ``Trainer`` (loop), its typed state (state: ``Parts``, ``Progress``, ``Step``)
built by ``build``, the run folder's files declared once (artefacts: names, columns, when, the
summary's schema) and written by ``writer``, the checkpoint schema (checkpoint), the folder's lock
and reading it back (runfolder), device (device), precision by device capability (precision), the
run's live views (watch: progress.json, TensorBoard), the loop's small parts (hooks), probes of a
net (probes: Fig. 7's layer responses, gradient norms) and evaluation (evaluate).
Names load on first use, so reading a run folder's files imports no torch.
"""

from importlib import import_module

_LAZY = {
    "Trainer": "loop", "train": "loop", "build_model": "build", "Parts": "state", "Step": "state",
    "learning_rate": "hooks", "resolve_device": "device", "choose_precision": "precision",
    "Checkpoint": "checkpoint", "Progress": "state",
    "Artefact": "artefacts", "ARTEFACTS": "artefacts", "Summary": "artefacts", "RunWriter": "writer",
    "run_responses": "evaluate",
    "layer_responses": "probes", "gradient_norms": "probes",
}


def __getattr__(name: str):  # PEP 562
    if name in _LAZY:
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = list(_LAZY)
