"""The paper's claims beside what our tables show: every finding is computed from a sweep's
tables, never written by hand, and says where it differs from the paper and why.

The notebooks print these under their figures and the slides put them beside the figures.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..models import model_info
from ..paper import FIG1, FIG4_PLAIN, FIG4_RESNET, FIG7_DEPTH, TABLE2, TABLE6, pairs
from .outcomes import DIVERGED, finals_with_divergence, gaps, value_text

# What the paper trained on (section 4.2; section 3.4), to say why our numbers differ.
PAPER_CIFAR = "the paper: 50,000 CIFAR-10 images, 64k iterations of 128 (164 epochs)"
PAPER_IMAGENET = "the paper: 1.28M ImageNet images (1,000 classes), 60e4 iterations of 256 (120 epochs)"


@dataclass
class Finding:
    claim: str  # the paper's words, with its section, figure or table
    ours: str  # what our tables show, with the numbers
    agrees: bool | None  # None: the tables lack the runs to tell
    why: str = ""  # where they differ: data, length; empty when they agree
    values: str = ""  # our numbers alone, in no language ("plain-20 26.2% → plain-56 71.9%"), for the deck

    @property
    def verdict(self) -> str:
        return {True: "agrees", False: "differs", None: "not measured"}[self.agrees]


def label(model: str) -> str:
    """``ResNet-56``, ``plain-56``."""
    return model_info(model).label


def describe_runs(runs: pd.DataFrame) -> str:
    """'CIFAR-10 subset, 4,653 training images, 30 epochs': what these runs trained on."""
    done = runs[runs.status == "done"]
    if done.empty:
        return "no finished runs"
    first = done.iloc[0]
    parts = [str(first.dataset)]
    if "train_images" in done and pd.notna(first.get("train_images")):
        parts.append(f"{int(first.train_images):,} training images")
    if "epochs" in done and done.epochs.notna().any():
        low, high = done.epochs.min(), done.epochs.max()
        parts.append(f"{low:.3g} epochs" if round(low, 1) == round(high, 1) else f"{low:.3g}-{high:.3g} epochs")
    else:
        parts.append(f"{int(first.iterations):,} iterations")
    return ", ".join(parts)


def eval_name(runs: pd.DataFrame) -> str:
    """What a sweep's ``test_error`` measures: 'test', 'holdout' or 'validation' error."""
    if "test_error_on" in runs and runs.test_error_on.notna().any():
        return {"holdout": "holdout", "val": "validation"}.get(runs.test_error_on.dropna().iloc[0], "test")
    return "test"


def _pct(fraction: float) -> str:
    """0.0875 -> '8.8%'."""
    return f"{100 * fraction:.1f}%"


def _order_finding(runs: pd.DataFrame, models: list[str], column: str, claim: str, rising: bool,
                   why: str) -> Finding:
    """Whether ``column`` rises (or falls) with depth over ``models``, as the claim says; a net that
    diverged counts as the worst (a plain net that cannot be trained is degradation at its strongest)."""
    finals = finals_with_divergence(runs, models, column)
    present = list(finals)
    what = "training" if column == "final_train_error" else eval_name(runs)
    if len(present) < 2:
        return Finding(claim, f"needs at least two of {', '.join(map(label, models))}"
                       + "".join(f"; {g}" for g in gaps(runs, models)), None)
    values = [finals[m] for m in present]
    steps = [b > a or (rising and a == b == DIVERGED) if rising else b < a for a, b in zip(values, values[1:])]
    numbers = " → ".join(value_text(runs, m, v) for m, v in zip(present, values))
    ours = f"final {what} error {numbers}"
    agrees = all(steps)
    if not agrees:
        broken = [f"{label(present[i])} → {label(present[i + 1])}" for i, ok in enumerate(steps) if not ok]
        ours += f" (not {'higher' if rising else 'lower'} at {', '.join(broken)})"
    untrainable = [label(m) for m in present if finals[m] == DIVERGED and not model_info(m).residual]
    if rising and untrainable:
        ours += f"; {' and '.join(untrainable)} could not be trained at all: the degradation at its strongest"
    ours += "".join(f"; {g}" for g in gaps(runs, models) if g not in numbers)
    return Finding(claim, ours, agrees, "" if agrees else why, numbers)


def why_they_differ(runs: pd.DataFrame, paper: str) -> str:
    return f"ours: {describe_runs(runs)}; {paper}"


def degradation(runs: pd.DataFrame, plain: list[str], residual: list[str], *, paper: str = PAPER_CIFAR,
                where: str = "Fig. 6") -> list[Finding]:
    """Deeper plain nets train worse; deeper ResNets do better; shortcuts help at equal depth."""
    why = why_they_differ(runs, paper)
    findings = [
        _order_finding(runs, plain, "final_train_error", f"{where}: deeper plain nets have higher training error "
                       "(the degradation problem, section 4.2).", rising=True, why=why),
        _order_finding(runs, residual, "final_train_error", f"{where}: deeper ResNets have lower training error.",
                       rising=False, why=why),
        _order_finding(runs, residual, "final_test_error", f"{where}: deeper ResNets have lower test error.",
                       rising=False, why=why),
    ]
    finals = finals_with_divergence(runs, plain + residual, "final_train_error")
    pairs = [(p, r) for p, r in zip(plain, residual) if p in finals and r in finals]
    if pairs:  # a diverged plain net against a trained ResNet: the shortcut is what made it trainable
        better = [finals[r] < finals[p] for p, r in pairs]
        ours = "; ".join(f"{value_text(runs, r, finals[r])} vs {value_text(runs, p, finals[p])}" for p, r in pairs)
        findings.append(Finding(f"{where}: at equal depth the ResNet trains to lower error than the plain net.",
                                f"final training error {ours}", all(better), "" if all(better) else why, ours))
    return findings


def fig1(runs: pd.DataFrame, curves: pd.DataFrame) -> list[Finding]:
    """Fig. 1: plain-56 above plain-20 in training and test error, throughout training."""
    claim = ("Fig. 1: the 56-layer plain net has higher training error, and thus higher test error, "
             "than the 20-layer one, throughout training.")
    shallow, deep = FIG1
    mean = curves.groupby(["model", "iteration"])[["train_error", "test_error"]].mean()
    if shallow not in mean.index.get_level_values(0) or deep not in mean.index.get_level_values(0):
        return [Finding(claim, "; ".join(["needs runs of plain-20 and plain-56", *gaps(runs, [shallow, deep])]), None)]
    both = mean.loc[deep].merge(mean.loc[shallow], left_index=True, right_index=True, suffixes=("_deep", "_shallow"))
    above = (both.train_error_deep > both.train_error_shallow).mean()
    tests = both.dropna(subset=["test_error_deep", "test_error_shallow"])
    test_above = (tests.test_error_deep > tests.test_error_shallow).mean() if len(tests) else float("nan")
    last = both.iloc[-1]
    ours = (f"plain-56 above plain-20 at {above:.0%} of logged iterations in training error and "
            f"{test_above:.0%} in {eval_name(runs)} error; at the end {_pct(last.train_error_deep)} vs "
            f"{_pct(last.train_error_shallow)} training error")
    ours += "".join(f"; {g}" for g in gaps(runs, [shallow, deep]))
    agrees = above >= 0.9 and last.train_error_deep > last.train_error_shallow
    numbers = f"plain-56 {_pct(last.train_error_deep)} vs plain-20 {_pct(last.train_error_shallow)}"
    return [Finding(claim, ours, agrees, "" if agrees else why_they_differ(runs, PAPER_CIFAR), numbers)]


def fig4(runs: pd.DataFrame) -> list[Finding]:
    """Fig. 4 / Table 2 on an ImageNet subset."""
    why = why_they_differ(runs, PAPER_IMAGENET)
    paper = TABLE2.set_index("model").paper_top1_error
    findings = [
        _order_finding(runs, FIG4_PLAIN, "final_train_error",
                       "Fig. 4 left: plain-34 has higher training error than plain-18 throughout training.",
                       rising=True, why=why),
        _order_finding(runs, FIG4_PLAIN, "final_test_error",
                       f"Table 2: plain-34 has higher validation error than plain-18 "
                       f"({paper['plain34']}% vs {paper['plain18']}% top-1).", rising=True, why=why),
        _order_finding(runs, FIG4_RESNET, "final_train_error",
                       "Fig. 4 right: ResNet-34 has lower training error than ResNet-18.", rising=False, why=why),
        _order_finding(runs, FIG4_RESNET, "final_test_error",
                       f"Table 2: ResNet-34 has lower validation error than ResNet-18 "
                       f"({paper['resnet34']}% vs {paper['resnet18']}% top-1).", rising=False, why=why),
    ]
    return findings


def layers_below(std: pd.Series, plain: str, residual: str) -> tuple[int, int]:
    """(k, n): on k of the n layers both nets have, ``residual``'s response std is below ``plain``'s.
    ``std``: mean std per (model, layer)."""
    both = pd.concat([std.loc[plain], std.loc[residual]], axis=1, keys=["plain", "residual"]).dropna()
    return int((both.residual < both.plain).sum()), len(both)


def fig7(responses: pd.DataFrame, runs: pd.DataFrame) -> list[Finding]:
    """Fig. 7: ResNets respond less than plain nets; deeper ResNets less still."""
    why = why_they_differ(runs, PAPER_CIFAR)
    std = responses.groupby(["model", "layer"])["std"].mean()
    models = set(std.index.get_level_values(0))
    findings = []
    claim = "Fig. 7: ResNets have generally smaller responses than their plain counterparts."
    twins = pairs(models)
    if twins:
        below = {r: layers_below(std, p, r) for p, r in twins}
        ours = "; ".join(f"{label(r)} below {label(p)} on {k / n:.0%} of layers" for (p, r), (k, n)
                         in zip(twins, below.values()))
        agrees = all(k / n > 0.5 for k, n in below.values())
        numbers = "; ".join(f"{label(r)} < {label(p)}: {k}/{n}" for (p, r), (k, n) in zip(twins, below.values()))
        findings.append(Finding(claim, ours, agrees, "" if agrees else why, numbers))
    else:
        findings.append(Finding(claim, "needs a plain net and the ResNet of the same depth", None))
    claim = "Fig. 7: the deeper ResNet has smaller responses (less modification per layer)."
    residual = [r for r in FIG7_DEPTH if r in models]
    if len(residual) >= 2:
        means = [std.loc[r].mean() for r in residual]
        numbers = " → ".join(f"{label(r)} {m:.2f}" for r, m in zip(residual, means))
        agrees = all(b < a for a, b in zip(means, means[1:]))
        findings.append(Finding(claim, f"mean std {numbers}", agrees, "" if agrees else why, numbers))
    else:
        findings.append(Finding(claim, "needs at least two of ResNet-20/56/110", None))
    return findings


def gradient_flow(gradients: pd.DataFrame, runs: pd.DataFrame) -> list[Finding]:
    """Section 4.1: with BN, the plain nets' gradients do not vanish toward the input."""
    claim = ("Section 4.1: with BN the backward-propagated gradients of the plain nets keep healthy norms; "
             "the degradation is not vanishing gradients.")
    plain = sorted((m for m in set(gradients.model) if not model_info(m).residual), key=lambda m: model_info(m).depth)
    if not plain:
        return [Finding(claim, "needs a plain net's gradients.csv", None)]
    deep = gradients[gradients.model == plain[-1]]
    last = deep[deep.iteration == deep.iteration.max()].groupby("layer")["grad_norm"].mean()
    ratio = last.iloc[0] / last.iloc[-1]  # input-side layer over output-side layer
    ours = (f"{label(plain[-1])} at iteration {int(deep.iteration.max()):,}: the first layer's gradient norm is "
            f"{ratio:.3g}x the last layer's (smallest {last.min():.2g}, largest {last.max():.2g})")
    agrees = ratio >= 0.01  # vanishing would mean the input side gets orders of magnitude less
    return [Finding(claim, ours, agrees, "" if agrees else why_they_differ(runs, PAPER_CIFAR))]


def table6(runs: pd.DataFrame) -> list[Finding]:
    """Table 6: our ResNets' test error beside the paper's."""
    paper = TABLE6.set_index("model").paper_error
    finals = finals_with_divergence(runs, list(paper.index), "final_test_error")
    present = list(finals)
    claim = "Table 6: " + ", ".join(f"{label(m)} {paper[m]}%" for m in paper.index) + " test error."
    if not present:
        return [Finding(claim, "needs ResNet runs" + "".join(f"; {g}" for g in gaps(runs, list(paper.index))), None)]
    points = [100 * finals[m] - paper[m] for m in present]  # a diverged net is infinitely far from the paper
    ours = f"{eval_name(runs)} error " + ", ".join(value_text(runs, m, finals[m]) for m in present)
    agrees = all(abs(g) <= 1.0 for g in points)
    if not agrees:
        ours += f" ({min(points):+.1f} to {max(points):+.1f} points from the paper)"
    ours += "".join(f"; {g}" for g in gaps(runs, list(paper.index)) if g not in ours)
    return [Finding(claim, ours, agrees, "" if agrees else why_they_differ(runs, PAPER_CIFAR))]


def as_table(findings: list[Finding]) -> pd.DataFrame:
    """One row per claim (the paper / our data / verdict / why they differ), indexed by the claim's
    figure or table, for a notebook to display as a table."""
    return pd.DataFrame([{"": f.claim.split(": ", 1)[0], "the paper": f.claim.split(": ", 1)[-1],
                          "our data": f.ours, "verdict": f.verdict, "why they differ": f.why}
                         for f in findings]).set_index("")


def as_text(findings: list[Finding]) -> str:
    """Plain text for a notebook's output: claim, finding, verdict, reason."""
    lines = []
    for f in findings:
        lines += [f"Paper: {f.claim}", f"Ours:  {f.ours}  [{f.verdict}]"]
        if f.why:
            lines.append(f"Why:   {f.why}")
        lines.append("")
    return "\n".join(lines).rstrip()
