"""Why shortcuts help: Lesions (Veit et al.) on the published twins (``results/why/lesion``,
made by ``resnet-study lesion``); its finding, figure and words live in ``reports/lesion.py``.
Deck pages: to come."""

from __future__ import annotations

from .. import lesion
from ..analysis import Analysis, Folder
from ..findings import Finding

FOLDERS = [Folder("why_lesion", "results/why/lesion", "resnet-study lesion's --out folder",
                  lesion.COMMAND)]

CLAIM = ("Veit et al. 2016, sec. 4: deleting one block of a trained ResNet barely moves its error; a"
         " plain net falls to chance")


def found(results_dir) -> list[Finding]:
    table = lesion.load(results_dir)
    n = lesion.finding(table)
    said = lesion.words(n)
    return [Finding(CLAIM, said["title"] + "; " + "; ".join(said["lines"][1:]),
                    bool(n['r_max'] < n['p_min']))]


def plot(results_dir):
    return lesion.figure(lesion.load(results_dir))


ANALYSIS = Analysis("why_lesion", "Lesions (Veit et al.)", "why_lesion", (lesion.TABLE,),
                    findings=found, plot=plot,
                    notebook="why_lesion", section="why", order=10)
