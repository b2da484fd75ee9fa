"""A short PDF deck for study groups: the degradation story told with our own figures and numbers.

``python -m resnet_study.slides --figures results/figures --cifar results/cifar_study --out build/slides.pdf``
(``make slides`` runs the notebooks first). Slides whose figure is missing are left out.
"""

from __future__ import annotations

import argparse
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.image as mpimg  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.backends.backend_pdf import PdfPages  # noqa: E402

from . import findings  # noqa: E402
from .io import atomic_path  # noqa: E402
from .paper import TABLE2, TABLE6  # noqa: E402
from .plots import provenance  # noqa: E402

SIZE = (13.33, 7.5)
TEXT = 14  # points: the smallest text on a slide, readable on a projector


def _page(title: str) -> plt.Figure:
    fig = plt.figure(figsize=SIZE)
    fig.text(0.04, 0.94, title, fontsize=26, weight="bold", va="top")
    return fig


def _text(fig: plt.Figure, x: float, y: float, lines: list[str], size: int = TEXT) -> None:
    fig.text(x, y, "\n".join(lines), fontsize=size, va="top", linespacing=1.3)


def _bullets(title: str, lines: list[str]) -> plt.Figure:
    fig = _page(title)
    _text(fig, 0.06, 0.8, lines, 18)
    return fig


def _figure_slide(title: str, image: Path, found: list[findings.Finding], note: str) -> plt.Figure:
    """A figure with the paper's claims and our findings beside (or under) it."""
    measured = [f for f in found if f.agrees is not None]
    fig = _page(f"{title}: our runs agree on {sum(f.agrees for f in measured)} of {len(measured)} claims")
    picture = mpimg.imread(image)
    wide = picture.shape[1] > 2.2 * picture.shape[0]  # Fig. 6's three panels: image on top, text below
    ax = fig.add_axes([0.02, 0.5, 0.96, 0.38] if wide else [0.01, 0.1, 0.5, 0.76])
    ax.imshow(picture)
    ax.axis("off")
    width = 60 if wide else 52
    lines, reasons = [], []
    for f in found:
        lines += textwrap.wrap(f"{f.verdict.upper()}: {f.claim.split(': ', 1)[-1]}", width)
        lines += ["   " + line for line in textwrap.wrap(f"ours: {f.ours}", width - 3)]
        reasons += [f.why] if f.why and f.why not in reasons else []
    lines += [line for why in reasons for line in textwrap.wrap(f"Why they differ: {why}.", width)]
    if wide:
        half = (len(lines) + 1) // 2
        _text(fig, 0.04, 0.47, lines[:half])
        _text(fig, 0.52, 0.47, lines[half:])
    else:
        _text(fig, 0.53, 0.86, lines)
    fig.text(0.04, 0.015, "\n".join(textwrap.wrap(note, 150)), fontsize=TEXT - 2, color="0.3", va="bottom")
    return fig


def _block_slide() -> plt.Figure:
    """Fig. 2 drawn: x -> weight layer -> relu -> weight layer -> (+ x) -> relu."""
    fig = _page("The residual block (Fig. 2)")
    ax = fig.add_axes([0.05, 0.08, 0.45, 0.8])
    ax.set(xlim=(0, 10), ylim=(0, 10))
    ax.axis("off")
    boxes = [(7.2, "weight layer"), (4.6, "weight layer")]
    for y, label in boxes:
        ax.add_patch(plt.Rectangle((2.5, y), 4, 1.2, fc="#dbe9f6", ec="0.2"))
        ax.text(4.5, y + 0.6, label, ha="center", va="center", fontsize=TEXT + 2)
    arrow = dict(arrowstyle="->", lw=1.8, color="0.2")
    ax.annotate("", (4.5, 8.4), (4.5, 9.6), arrowprops=arrow)
    ax.text(4.7, 9.4, "x", fontsize=TEXT + 4, style="italic")
    ax.annotate("", (4.5, 5.8), (4.5, 7.2), arrowprops=arrow)
    ax.text(4.7, 6.4, "relu", fontsize=TEXT)
    ax.annotate("", (4.5, 3.0), (4.5, 4.6), arrowprops=arrow)
    ax.add_patch(plt.Circle((4.5, 2.6), 0.4, fc="white", ec="0.2"))
    ax.text(4.5, 2.6, "+", ha="center", va="center", fontsize=TEXT + 6)
    ax.annotate("", (4.9, 2.6), (8.5, 9.0), arrowprops=dict(arrowstyle="->", lw=1.8, color="#c0504d",
                                                             connectionstyle="angle,angleA=-90,angleB=0"))
    ax.text(8.7, 5.6, "identity\nshortcut x", fontsize=TEXT, color="#c0504d")
    ax.annotate("", (4.5, 0.8), (4.5, 2.2), arrowprops=arrow)
    ax.text(4.7, 1.2, "relu", fontsize=TEXT)
    ax.text(0.2, 5.2, "F(x)", fontsize=TEXT + 4, style="italic")
    _text(fig, 0.55, 0.8, [
        "The layers learn a residual F(x);", "the block outputs F(x) + x.", "",
        "If identity is what is needed,", "F(x) = 0 is easy to reach:", "a deeper net can always copy", "a shallower one.", "",
        "A plain net is the same block", "without the shortcut: same layers,", "same parameters (option A pads", "with zeros, section 3.3).",
    ], 18)
    return fig


def _tables_slide(runs: pd.DataFrame | None, imagenet_runs: pd.DataFrame | None) -> plt.Figure:
    """Tables 2 and 6 beside our final errors, in one table."""
    fig = _page("Our numbers beside the paper's (Tables 2 and 6)")
    rows = []
    for frame, paper, what in ((imagenet_runs, TABLE2.rename(columns={"paper_top1_error": "paper"}), "Table 2"),
                               (runs, TABLE6.rename(columns={"paper_error": "paper"}), "Table 6")):
        ours = ({} if frame is None else frame[frame.status == "done"].groupby("model")["final_test_error"].mean())
        on = findings.describe_runs(frame) if frame is not None else "not run"
        for model, value in zip(paper.model, paper.paper):
            if model in ours or what == "Table 2":
                rows.append([what, findings.label(model), f"{value:.2f}",
                             f"{100 * ours[model]:.1f}" if model in ours else "-", on])
    table = fig.add_axes([0.04, 0.12, 0.92, 0.72])
    table.axis("off")
    cells = table.table(cellText=rows, colLabels=["", "net", "paper error (%)", "ours (%)", "our data"],
                        loc="upper center", cellLoc="left", colWidths=[0.09, 0.12, 0.13, 0.1, 0.56])
    cells.auto_set_font_size(False)
    cells.set_fontsize(TEXT)
    cells.scale(1, 1.6)
    _text(fig, 0.04, 0.1, ["Paper: ImageNet top-1 validation error, 10-crop (Table 2); CIFAR-10 test error (Table 6).",
                           "Ours: single-crop error on the split our data names (validation, holdout or test)."])
    return fig


def _table(results: Path, name: str) -> pd.DataFrame | None:
    path = results / name
    return pd.read_csv(path) if path.exists() else None


def build(figures: Path, cifar: Path, imagenet: Path, out: Path) -> int:
    runs, curves = _table(cifar, "runs.csv"), _table(cifar, "curves.csv")
    imagenet_runs, responses = _table(imagenet, "runs.csv"), _table(cifar, "responses.csv")
    note = provenance(runs) if runs is not None else ""
    slides = [_bullets("Deep Residual Learning: the degradation problem", [
        "He, Zhang, Ren, Sun (2015), Deep Residual Learning for Image Recognition.", "",
        "A deeper plain network trains worse than a shallower one:",
        "higher training error, so it is not overfitting.",
        "The same networks with identity shortcuts (ResNets) do not degrade.", "",
        "Every figure here comes from our own runs (resnet-study); each result",
        "slide sets the paper's claims beside what our runs show.",
    ]), _block_slide()]

    def add(stem: str, title: str, found: list[findings.Finding], line: str = note) -> None:
        image = figures / f"{stem}.png"
        if image.exists():
            slides.append(_figure_slide(title, image, found, line))

    if runs is not None and curves is not None:
        add("fig1_cifar_20_56", "Fig. 1", findings.fig1(runs, curves))
    slides.append(_tables_slide(runs, imagenet_runs))
    if runs is not None:
        plain = [f"cifar_plain{d}" for d in (20, 32, 44, 56)]
        residual = [f"cifar_resnet{d}" for d in (20, 32, 44, 56, 110)]
        add("fig6_cifar_sweep", "Fig. 6", findings.degradation(runs, plain, residual))
    if imagenet_runs is not None:
        add("fig4_imagenet_18_34", "Fig. 4", findings.fig4(imagenet_runs), provenance(imagenet_runs))
    if responses is not None and runs is not None:
        add("fig7_layer_responses", "Fig. 7", findings.fig7(responses, runs))
    everything = [f for f in (findings.degradation(runs, plain, residual) if runs is not None else [])
                  + (findings.fig4(imagenet_runs) if imagenet_runs is not None else []) if f.agrees is not None]
    held = [f.claim.split(": ", 1)[-1] for f in everything if f.agrees]
    missed = [f.claim.split(": ", 1)[-1] for f in everything if not f.agrees]
    def items(claims: list[str], mark: str) -> list[str]:
        return [f"  {mark if i == 0 else ' '} {line}" for c in claims[:4] for i, line in enumerate(textwrap.wrap(c, 70))]

    slides.append(_bullets("Takeaways and caveats", [
        "Our runs show:", *items(held, "+"), "Our runs do not show (yet):", *items(missed, "-"),
        *textwrap.wrap("Caveats: " + ("; ".join([f"{runs.seed.nunique()} seed(s)", findings.why_they_differ(runs, findings.PAPER_CIFAR)])
                                      if runs is not None else "no CIFAR runs") + ".", 75),
        "Redraw from your own runs: make figures slides.",
    ]))
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out) as tmp, PdfPages(tmp, metadata={"CreationDate": None}) as pdf:
        for number, fig in enumerate(slides, 1):
            fig.text(0.97, 0.955, f"{number} / {len(slides)}", fontsize=TEXT, color="0.4", ha="right", va="top")
            pdf.savefig(fig)
            plt.close(fig)
    return len(slides)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--figures", default="results/figures")
    parser.add_argument("--cifar", default="results/cifar_study")
    parser.add_argument("--imagenet", default="results/imagenette_study")
    parser.add_argument("--out", default="build/slides.pdf")
    args = parser.parse_args(argv)
    count = build(Path(args.figures), Path(args.cifar), Path(args.imagenet), Path(args.out))
    print(f"{args.out}: {count} slides")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
