"""Why shortcuts help: Loss landscape (Li et al.) on the published twins (``results/why/landscape``,
made by ``resnet-study landscape``); its finding, figure and words live in ``reports/landscape.py``.
Deck pages: to come."""

from __future__ import annotations

from .. import landscape
from ..analysis import Analysis, Folder
from ..findings import Finding

FOLDERS = [Folder("why_landscape", "results/why/landscape", "resnet-study landscape's --out folder",
                  landscape.COMMAND)]

CLAIM = ("Li et al. 2018, Fig. 5: ResNet-56's loss is nearly convex around its minimum, plain-56's is"
         " chaotic")


def found(results_dir) -> list[Finding]:
    table = landscape.load(results_dir)
    n = landscape.finding(table)
    said = landscape.words(n)
    return [Finding(CLAIM, said["title"] + "; " + "; ".join(said["lines"][1:]),
                    bool(float(n['r_nc']) < float(n['p_nc'])))]


def plot(results_dir):
    return landscape.contours(landscape.load(results_dir))


ANALYSIS = Analysis("why_landscape", "Loss landscape (Li et al.)", "why_landscape", (landscape.TABLE,),
                    findings=found, plot=plot,
                    notebook="why_landscape", section="why", order=40)
