"""The paper's CIFAR claims on nets others trained to the end (``results/published``): no notebook
or page of its own; Table 6's and Fig. 7's notebooks and pages show them beside ours."""

from __future__ import annotations

from .. import published, tables
from ..analysis import Analysis


def found(results_dir) -> list:
    """Every claim of ``published.all_findings`` on ``published.csv`` and ``responses.csv``."""
    return published.all_findings(*tables.load_published(results_dir))


ANALYSIS = Analysis("published", "Published nets", "published", ("published.csv", "responses.csv"),
                    findings=found, order=90)
