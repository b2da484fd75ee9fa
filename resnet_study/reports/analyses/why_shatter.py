"""Why shortcuts help: Shattered gradients (Balduzzi et al.) on the published twins (``results/why/shatter``,
made by ``resnet-study shatter``); its finding, figure and words live in ``reports/shatter.py``.
Deck pages: to come."""

from __future__ import annotations

from .. import shatter
from ..analysis import Analysis, Folder
from ..findings import Finding

FOLDERS = [Folder("why_shatter", "results/why/shatter", "resnet-study shatter's --out folder",
                  shatter.COMMAND)]

CLAIM = ("Balduzzi et al. 2017: at init, neighbouring gradients of plain nets decorrelate as 2^-L, of"
         " ResNets as 1/sqrt(L)")


def found(results_dir) -> list[Finding]:
    table = shatter.load(results_dir)
    n = shatter.finding(table)
    said = shatter.words(n)
    return [Finding(CLAIM, said["title"] + "; " + "; ".join(said["lines"][1:]),
                    bool(n["plain_log2_per_layer"] < 0 and n["resnet_exponent"] > n["plain_log2_per_layer"]))]


def plot(results_dir):
    return shatter.figure(shatter.load(results_dir))


ANALYSIS = Analysis("why_shatter", "Shattered gradients (Balduzzi et al.)", "why_shatter", (shatter.TABLE,),
                    findings=found, plot=plot,
                    notebook="why_shatter", section="why", order=30)
