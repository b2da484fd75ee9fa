"""Why shortcuts help: Degeneracy audit (Orhan & Pitkow) on the published twins (``results/why/degeneracy``,
made by ``resnet-study degeneracy``); its finding, figure and words live in ``reports/degeneracy.py``.
Deck pages: to come."""

from __future__ import annotations

from .. import degeneracy
from ..analysis import Analysis, Folder
from ..findings import Finding

FOLDERS = [Folder("why_degeneracy", "results/why/degeneracy", "resnet-study degeneracy's --out folder",
                  degeneracy.COMMAND)]

CLAIM = ("Orhan & Pitkow 2018: plain nets sit near degenerate points, e.g. more dead units than with"
         " skip connections")


def found(results_dir) -> list[Finding]:
    table = degeneracy.load(results_dir)
    n = degeneracy.finding(table)
    said = degeneracy.words(n)
    return [Finding(CLAIM, said["title"] + "; " + "; ".join(said["lines"][1:]),
                    n["p_dead"] > n["r_dead"],
                    why="" if n["p_dead"] > n["r_dead"] else "plain-56's BN scale collapsed; its units are not dead")]


def plot(results_dir):
    return degeneracy.figure(degeneracy.load(results_dir))


ANALYSIS = Analysis("why_degeneracy", "Degeneracy audit (Orhan & Pitkow)", "why_degeneracy", (degeneracy.TABLE,),
                    findings=found, plot=plot,
                    notebook="why_degeneracy", section="why", order=20)
