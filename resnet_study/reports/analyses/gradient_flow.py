"""Beyond the paper: each conv layer's gradient norm in plain and residual twins, at initialisation
and at the end; with BN the plain nets' gradients do not vanish (section 4.1)."""

from __future__ import annotations

from ...paper import GRADIENT_FLOW
from .. import findings, plots, tables
from ..analysis import Analysis

TABLES = ("runs.csv", "gradients.csv")


def _read(results_dir):
    return [tables.load_table(results_dir, n, sweep=tables.CIFAR_SWEEP) for n in TABLES]


def found(results_dir) -> list[findings.Finding]:
    """Section 4.1's claim on a CIFAR sweep's ``gradients.csv``."""
    runs, gradients = _read(results_dir)
    return findings.gradient_flow(gradients, runs)


def plot(results_dir):
    _, gradients = _read(results_dir)
    return plots.gradient_figure(gradients, GRADIENT_FLOW, sweep=tables.CIFAR_SWEEP,
                                 caption=tables.caption_for(results_dir))


ANALYSIS = Analysis("gradient_flow", "Gradient flow", "cifar", TABLES, findings=found, plot=plot,
                    notebook="gradient_flow", order=80)
