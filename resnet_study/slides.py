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
from .plots import provenance  # noqa: E402

SIZE = (13.33, 7.5)


def _slide(title: str, lines: list[str] = (), image: Path | None = None, note: str = "") -> plt.Figure:
    fig = plt.figure(figsize=SIZE)
    fig.text(0.04, 0.94, title, fontsize=22 if image is not None else 26, weight="bold", va="top")
    if image is None:
        y = 0.8
        for line in lines:
            fig.text(0.06, y, line, fontsize=15, va="top")
            y -= 0.075
    else:
        picture = mpimg.imread(image)
        wide = picture.shape[1] > 2.2 * picture.shape[0]  # Fig. 6's three panels: image on top
        ax = fig.add_axes([0.02, 0.47, 0.96, 0.42] if wide else [0.02, 0.08, 0.58, 0.78])
        ax.imshow(picture)
        ax.axis("off")
        if wide:  # two columns, split between findings
            breaks = [i for i, line in enumerate(lines) if not line] or [len(lines)]
            half = min(breaks, key=lambda i: abs(i - len(lines) / 2)) + 1
            for x, column in ((0.05, lines[:half]), (0.52, lines[half:])):
                fig.text(x, 0.44, "\n".join(column), fontsize=10.5, va="top", linespacing=1.35)
        else:
            fig.text(0.62, 0.84, "\n".join(lines), fontsize=10.5, va="top", linespacing=1.35)
    if note:
        fig.text(0.04, 0.025, note, fontsize=9, color="0.35")
    return fig


def _finding_lines(found: list[findings.Finding]) -> list[str]:
    """The paper's claim and our finding, wrapped for the slide's text column; the reason once."""
    lines, reasons = [], []
    for f in found:
        lines += textwrap.wrap(f"Paper: {f.claim}", 52) + textwrap.wrap(f"Ours: {f.ours} - {f.verdict}.", 52) + [""]
        if f.why and f.why not in reasons:
            reasons.append(f.why)
    for why in reasons:
        lines += textwrap.wrap(f"Why they differ: {why}.", 52)
    return lines


def _table(results: Path, name: str) -> pd.DataFrame | None:
    path = results / name
    return pd.read_csv(path) if path.exists() else None


def build(figures: Path, cifar: Path, imagenet: Path, out: Path) -> int:
    runs, curves = _table(cifar, "runs.csv"), _table(cifar, "curves.csv")
    note = provenance(runs) if runs is not None else ""
    slides = [_slide("The degradation problem", [
        "He, Zhang, Ren, Sun (2015): Deep Residual Learning for Image Recognition.",
        "A deeper plain network trains worse than a shallower one:",
        "    higher training error, so it is not overfitting,",
        "    although the deeper net could copy the shallower one and add identity layers.",
        "The same networks with identity shortcuts (ResNets) do not degrade.",
        "Every figure here comes from our own runs (resnet-study), and every result slide",
        "sets the paper's claim beside what our runs show, computed from their tables.",
    ])]

    def add(stem: str, title: str, found: list[findings.Finding], provenance_line: str = note) -> None:
        # The title states what our runs show, never the paper's claim on its own.
        image = figures / f"{stem}.png"
        measured = [f for f in found if f.agrees is not None]
        if image.exists():
            verdict = f"our runs agree on {sum(f.agrees for f in measured)} of {len(measured)} claims"
            slides.append(_slide(f"{title}: {verdict}", _finding_lines(found), image, provenance_line))

    if runs is not None and curves is not None:
        add("fig1_cifar_20_56", "Fig. 1, plain-20 vs plain-56", findings.fig1(runs, curves))
        plain = [f"cifar_plain{d}" for d in (20, 32, 44, 56)]
        residual = [f"cifar_resnet{d}" for d in (20, 32, 44, 56, 110)]
        add("fig6_cifar_sweep", "Fig. 6, depth with and without shortcuts", findings.degradation(runs, plain, residual))
    imagenet_runs = _table(imagenet, "runs.csv")
    if imagenet_runs is not None:
        add("fig4_imagenet_18_34", "Fig. 4, 18 vs 34 layers", findings.fig4(imagenet_runs),
            provenance(imagenet_runs))
    responses, gradients = _table(cifar, "responses.csv"), _table(cifar, "gradients.csv")
    if responses is not None and runs is not None:
        add("fig7_layer_responses", "Fig. 7, layer responses", findings.fig7(responses, runs))
    if gradients is not None and runs is not None:
        add("gradient_flow", "Vanishing gradients?", findings.gradient_flow(gradients, runs))
    slides.append(_slide("Reproduce it", [
        "make cifar-quick DATA_DIR=<cifar folder>      # minutes on a laptop CPU",
        "make cifar-study DATA_DIR=<cifar folder>      # Fig. 6 grid to a plateau, about an hour on a CPU",
        "make cifar-sweep                              # the paper's recipe, 64k iterations, a GPU",
        "make imagenet-study DATA_DIR=<imagefolder>    # Fig. 4 on an ImageNet subset",
        "make figures && make slides                   # redraw these figures from your runs",
        "Subset and short runs show what they show; each slide says where that differs from the paper.",
    ]))
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out) as tmp, PdfPages(tmp) as pdf:
        for fig in slides:
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
