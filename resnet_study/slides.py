"""A short PDF deck for study groups: the degradation story told with our own figures and numbers.

``python -m resnet_study.slides --figures results/figures --cifar results/cifar_quick --out build/slides.pdf``
(``make slides`` runs the notebooks first). Slides whose figure is missing are left out.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.image as mpimg  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.backends.backend_pdf import PdfPages  # noqa: E402

from .io import atomic_path  # noqa: E402

SIZE = (13.33, 7.5)


def _slide(title: str, lines: list[str] = (), image: Path | None = None, note: str = "") -> plt.Figure:
    fig = plt.figure(figsize=SIZE)
    fig.text(0.05, 0.92, title, fontsize=26, weight="bold", va="top")
    y = 0.78
    for line in lines:
        fig.text(0.06, y, line, fontsize=15 if image is None else 13, va="top", wrap=True)
        y -= 0.085 if image is None else 0.075
    if image is not None:
        ax = fig.add_axes([0.38, 0.08, 0.6, 0.78])
        ax.imshow(mpimg.imread(image))
        ax.axis("off")
    if note:
        fig.text(0.05, 0.03, note, fontsize=10, color="0.35")
    return fig


def _final_errors(results: Path) -> dict[str, tuple[float, float]]:
    path = results / "runs.csv"
    if not path.exists():
        return {}
    runs = pd.read_csv(path)
    runs = runs[runs.status == "done"].groupby("model")[["final_train_error", "final_test_error"]].mean()
    return {m: (100 * r.final_train_error, 100 * r.final_test_error) for m, r in runs.iterrows()}


def _provenance(results: Path) -> str:
    path = results / "runs.csv"
    if not path.exists():
        return ""
    runs = pd.read_csv(path)
    first = runs.dropna(subset=["device"]).iloc[0] if runs.device.notna().any() else None
    if first is None:
        return ""
    return (f"{results.name}: {first.dataset}, preset {first.preset}, {int(first.iterations)} iterations, "
            f"{first.device}, torch {first.torch_version}, commit {first.commit}")


def build(figures: Path, cifar: Path, imagenet: Path, out: Path) -> int:
    errors = _final_errors(cifar)
    note = _provenance(cifar)
    slides = [_slide("The degradation problem", [
        "He, Zhang, Ren, Sun (2015): Deep Residual Learning for Image Recognition.",
        "A deeper plain network trains worse than a shallower one:",
        "    higher training error, so it is not overfitting,",
        "    although the deeper net could copy the shallower one and add identity layers.",
        "The same networks with identity shortcuts (ResNets) do not degrade.",
        "Every figure here comes from our own runs (resnet-study); see the notes at the bottom.",
    ])]

    def add(stem: str, title: str, lines: list[str], provenance: str = note) -> None:
        image = figures / f"{stem}.png"
        if image.exists():
            slides.append(_slide(title, lines, image, provenance))

    def err(model: str) -> str:
        return f"{errors[model][0]:.1f}% train / {errors[model][1]:.1f}% held-out" if model in errors else "not run"

    add("fig1_cifar_20_56", "Deeper plain nets train worse (Fig. 1)", [
        "Plain nets of 20 and 56 layers,", "same recipe, same data.",
        f"plain-20: {err('cifar_plain20')}", f"plain-56: {err('cifar_plain56')}",
        "The 56-layer net has the higher", "training error."])
    add("fig6_cifar_sweep", "Shortcuts remove the degradation (Fig. 6)", [
        "Dashed: training error.", "Bold: test error.",
        f"ResNet-20: {err('cifar_resnet20')}", f"ResNet-56: {err('cifar_resnet56')}",
        "Same layers, same parameters", "(option A shortcuts are free)."])
    add("fig4_imagenet_18_34", "ImageNet subset: 18 vs 34 layers (Fig. 4)", [
        "Plain and ResNet 18/34 on", "Imagenette (10 ImageNet classes).",
        "Paper (ImageNet, top-1):", "plain 27.94 -> 28.54% (worse),", "ResNet 27.88 -> 25.03% (better)."],
        _provenance(imagenet))
    add("fig7_layer_responses", "Residual functions are small (Fig. 7)", [
        "Std of each 3x3 layer's BN output.", "Paper: ResNets respond less than", "plain nets, deeper ones less still:",
        "the layers learn small", "corrections to the identity."])
    add("gradient_flow", "Is it vanishing gradients?", [
        "Per-layer gradient norms.", "Paper (4.1): with BN the plain", "nets' gradients stay healthy;",
        "degradation is an optimisation", "difficulty. Check the measurement."])
    slides.append(_slide("Reproduce it", [
        "make cifar-quick DATA_DIR=<cifar folder>    # minutes on a laptop CPU",
        "make cifar-sweep                              # the paper's recipe, 64k iterations, a GPU",
        "make imagenet-sweep DATA_DIR=<imagefolder>    # Fig. 4 on an ImageNet subset",
        "make figures && make slides                   # redraw these figures from your runs",
        "Quick and subset runs show the effect, not the paper's final numbers.",
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
    parser.add_argument("--cifar", default="results/cifar_quick")
    parser.add_argument("--imagenet", default="results/imagenette_quick")
    parser.add_argument("--out", default="build/slides.pdf")
    args = parser.parse_args(argv)
    count = build(Path(args.figures), Path(args.cifar), Path(args.imagenet), Path(args.out))
    print(f"{args.out}: {count} slides")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
