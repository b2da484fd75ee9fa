"""The paper's CIFAR claims on nets others trained to the end (``results/published``), each a
``Finding`` computed from ``published.csv`` and ``responses.csv`` as ``resnet-study evaluate
--published`` writes them.

A claim about test error is judged on the test errors the authors state (``stated_error``, on
the official 10,000 test images); the error measured here sits beside it and says what images it
is on: on a folder without ``test_batch`` they are *training* images of these nets.
"""

from __future__ import annotations

import pandas as pd

from ..paper import pairs
from .findings import Finding, label

SOURCES = {"akamaster": "akamaster", "wooyeolbaek": "wooyeolBaek"}  # how a tag is written in a sentence


def _pct(fraction: float) -> str:
    return f"{100 * fraction:.2f}%"


def _measured(rows: pd.DataFrame) -> str:
    """'training-image error measured here plain-20 0.41%, ...' (or test-image, on a test batch)."""
    split = "test-image" if set(rows.split) == {"test"} else "training-image"
    images = int(rows.images.iloc[0])
    return (f"{split} error measured here ({images:,} images) " +
            ", ".join(f"{label(r.net)} {_pct(r.error)}" for r in rows.itertuples()))


def _ordered(published: pd.DataFrame, tag: str, residual: bool) -> pd.DataFrame:
    rows = published[(published.tag == tag) & (published.residual == residual)]
    return rows.sort_values("depth")


def _depth_claim(published: pd.DataFrame, residual: bool, claim: str) -> list[Finding]:
    """For each source with two or more such nets: whether the stated test error rises (plain)
    or falls (residual) with every step in depth."""
    findings = []
    for tag in dict.fromkeys(published.tag):
        rows = _ordered(published, tag, residual).dropna(subset=["stated_error"])
        if len(rows) < 2:
            continue
        stated = rows.stated_error.tolist()
        agrees = all((b < a) if residual else (b > a) for a, b in zip(stated, stated[1:]))
        ours = (f"{'agrees' if agrees else 'differs'} on fully trained published nets ({SOURCES.get(tag, tag)}): "
                f"stated test error " + " → ".join(f"{label(r.net)} {_pct(r.stated_error)}" for r in rows.itertuples())
                + f"; {_measured(_ordered(published, tag, residual))}")
        findings.append(Finding(claim, ours, agrees, "" if agrees else f"{SOURCES.get(tag, tag)}'s own runs"))
    return findings or [Finding(claim, "needs two published nets of one source", None)]


def degradation(published: pd.DataFrame) -> list[Finding]:
    """Fig. 6 left / section 4.2 on published nets: deeper plain nets have higher error."""
    return _depth_claim(published, False, "Fig. 6: deeper plain nets have higher error (the degradation problem, "
                                          "section 4.2).")


def deeper_resnets(published: pd.DataFrame) -> list[Finding]:
    """Table 6 on published nets: deeper ResNets have lower test error."""
    return _depth_claim(published, True, "Table 6: deeper ResNets have lower test error (20 to 110 layers).")


def shortcuts(published: pd.DataFrame) -> list[Finding]:
    """Fig. 6: at equal depth the ResNet beats its plain twin, on the sources that publish both."""
    claim = "Fig. 6: at equal depth the ResNet has lower error than its plain twin."
    findings = []
    for tag in dict.fromkeys(published.tag):
        plain, residual = (_ordered(published, tag, kind).set_index("depth") for kind in (False, True))
        depths = [d for d in plain.index if d in residual.index]
        if not depths:
            continue
        better = [residual.stated_error[d] < plain.stated_error[d] for d in depths]
        pairs = "; ".join(f"ResNet-{d} {_pct(residual.stated_error[d])} vs plain-{d} {_pct(plain.stated_error[d])}"
                          for d in depths)
        measured = "; ".join(f"ResNet-{d} {_pct(residual.error[d])} vs plain-{d} {_pct(plain.error[d])}"
                             for d in depths)
        split = "test-image" if set(plain.split) == {"test"} else "training-image"
        ours = (f"{'agrees' if all(better) else 'differs'} on fully trained published nets ({SOURCES.get(tag, tag)}): "
                f"stated test error {pairs}; {split} error measured here {measured}")
        findings.append(Finding(claim, ours, all(better), "" if all(better) else f"{SOURCES.get(tag, tag)}'s own runs"))
    return findings or [Finding(claim, "needs a published plain net and its ResNet twin", None)]


def fig7(published: pd.DataFrame, responses: pd.DataFrame) -> list[Finding]:
    """Fig. 7 on published nets: ResNets respond less than their plain twins; deeper ResNets less.

    Where a plain net responds less, the reason is read from ``published.mean_abs_gamma``: a plain
    net can shrink its BN scales freely, since each BN undoes the scale of the layer before it.
    """
    std = responses.groupby(["tag", "net"])["std"].mean()
    findings = []
    for tag in dict.fromkeys(published.tag):
        rows = published[published.tag == tag].set_index("net")
        twins = [(p, r) for p, r in pairs(rows.index) if (tag, p) in std.index and (tag, r) in std.index]
        name = SOURCES.get(tag, tag)
        if twins:
            lower = [std[tag, r] < std[tag, p] for p, r in twins]
            ours = "mean response std " + "; ".join(f"{label(r)} {std[tag, r]:.2f} vs {label(p)} {std[tag, p]:.2f}"
                                                    for p, r in twins)
            why = ""
            if not all(lower):
                shrunk = [(p, r) for (p, r), ok in zip(twins, lower) if not ok]
                why = ("; ".join(f"{label(p)}'s BN scales have shrunk to a mean |γ| of {rows.mean_abs_gamma[p]:.2f} "
                                 f"(ResNet twin {rows.mean_abs_gamma[r]:.2f})"
                                 for p, r in shrunk)
                       + ": a plain net allows that, since each BN undoes the scale of the layer before it")
            findings.append(Finding("Fig. 7: ResNets have generally smaller responses than their plain counterparts.",
                                    f"fully trained published nets ({name}, on the images evaluated): {ours}",
                                    all(lower), why))
        residual = [n for n in rows[rows.residual].sort_values("depth").index if (tag, n) in std.index]
        if len(residual) >= 2:
            means = [std[tag, n] for n in residual]
            agrees = all(b < a for a, b in zip(means, means[1:]))
            findings.append(Finding("Fig. 7: the deeper ResNet has smaller responses (less modification per layer).",
                                    f"fully trained published nets ({name}): mean response std "
                                    + " → ".join(f"{label(n)} {m:.2f}" for n, m in zip(residual, means)),
                                    agrees, "" if agrees else f"{name}'s own runs"))
    return findings or [Finding("Fig. 7: ResNets respond less than plain nets.", "needs published responses", None)]


def all_findings(published: pd.DataFrame, responses: pd.DataFrame) -> list[Finding]:
    """Every claim above, in the paper's order."""
    return degradation(published) + shortcuts(published) + deeper_resnets(published) + fig7(published, responses)
