"""The paper's published numbers, and published reproductions, as cited data.

He, Zhang, Ren, Sun. Deep Residual Learning for Image Recognition. CVPR 2016 (arXiv:1512.03385).
"""

from __future__ import annotations

# The tables, as rows; each is a pandas DataFrame on first use (``paper.TABLE6``), so that reading
# the grids below imports nothing: the GPU check's report reads them where pandas may be missing.
_TABLES = {
    # Table 6: CIFAR-10 test error (%) and parameters of the ResNets; 110 also as mean +- std of 5 runs.
    "TABLE6": (["model", "depth", "parameters", "paper_error", "paper_mean_std"], [
        ("cifar_resnet20", 20, 0.27e6, 8.75, None),
        ("cifar_resnet32", 32, 0.46e6, 7.51, None),
        ("cifar_resnet44", 44, 0.66e6, 7.17, None),
        ("cifar_resnet56", 56, 0.85e6, 6.97, None),
        ("cifar_resnet110", 110, 1.7e6, 6.43, "6.61 ± 0.16"),
        ("cifar_resnet1202", 1202, 19.4e6, 7.93, None),
    ]),
    # A widely used PyTorch reproduction (github.com/akamaster/pytorch_resnet_cifar10, README table),
    # test error (%) with the same recipe.
    "REPRODUCTIONS": (["model", "akamaster_error"], [
        ("cifar_resnet20", 8.27), ("cifar_resnet32", 7.37), ("cifar_resnet44", 6.90),
        ("cifar_resnet56", 6.61), ("cifar_resnet110", 6.32), ("cifar_resnet1202", 6.18),
    ]),
    # Table 2: ImageNet validation top-1 error (%, 10-crop testing) of the nets in Fig. 4.
    "TABLE2": (["model", "paper_top1_error"], [
        ("plain18", 27.94), ("plain34", 28.54), ("resnet18", 27.88), ("resnet34", 25.03),
    ]),
}


def __getattr__(name: str):
    """``TABLE6``, ``REPRODUCTIONS``, ``TABLE2`` as pandas DataFrames, made once."""
    if name not in _TABLES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import pandas as pd

    columns, rows = _TABLES[name]
    frame = globals()[name] = pd.DataFrame(rows, columns=columns)
    return frame


# Section 4.2 text: the plain nets' story in Fig. 6 is qualitative (deeper plain nets have higher
# training error); the paper states no plain-net numbers in a table, so none are listed here.


# The grids of the paper's figures, as model names (imports no torch), declared here once: the
# notebooks, the deck, the findings and the GPU check's estimate read them from here.
# Fig. 6 / Table 6 train plain nets of 20-56 layers and ResNets of 20-110 on CIFAR-10 (section 4.2);
# Fig. 7 compares plain and residual twins of each depth, 110 too (published plain-110s exist).
FIG6_DEPTHS = {"plain": (20, 32, 44, 56), "resnet": (20, 32, 44, 56, 110)}
CIFAR_PAIRS = [(f"cifar_plain{d}", f"cifar_resnet{d}") for d in FIG6_DEPTHS["resnet"]]
FIG6_PLAIN = [f"cifar_plain{d}" for d in FIG6_DEPTHS["plain"]]
FIG6_RESNET = [f"cifar_resnet{d}" for d in FIG6_DEPTHS["resnet"]]
FIG6_DEEPEST = ["cifar_resnet110", "cifar_resnet1202"]  # Fig. 6 right: the 110- and 1202-layer ResNets
FIG1 = ["cifar_plain20", "cifar_plain56"]  # Fig. 1: the shallow and the deep plain net
FIG7 = ["cifar_plain20", "cifar_plain56", "cifar_resnet20", "cifar_resnet56", "cifar_resnet110"]
FIG7_DEPTH = ["cifar_resnet20", "cifar_resnet56", "cifar_resnet110"]  # Fig. 7: deeper ResNets respond less
FIG7_PUBLISHED = FIG1 + FIG6_RESNET  # published nets drawn in Fig. 7: Fig. 1's plain nets, every ResNet
GRADIENT_FLOW = ["cifar_plain20", "cifar_plain56", "cifar_resnet20", "cifar_resnet56"]
# Fig. 4 / Table 2 train 18- and 34-layer nets on ImageNet (section 4.1).
FIG4_PAIRS = [("plain18", "resnet18"), ("plain34", "resnet34")]
FIG4_PLAIN, FIG4_RESNET = [p for p, _ in FIG4_PAIRS], [r for _, r in FIG4_PAIRS]


def pairs(models=None, grid: list[tuple[str, str]] = CIFAR_PAIRS) -> list[tuple[str, str]]:
    """The (plain, ResNet) twins of ``grid`` (default: CIFAR's, 20-110 layers) of which ``models``
    holds both nets (every pair when ``models`` is None), shallow first."""
    present = None if models is None else set(models)
    return [(p, r) for p, r in grid if present is None or (p in present and r in present)]
