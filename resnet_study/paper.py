"""The paper's published numbers, and published reproductions, as cited data.

He, Zhang, Ren, Sun. Deep Residual Learning for Image Recognition. CVPR 2016 (arXiv:1512.03385).
"""

from __future__ import annotations

import pandas as pd

# Table 6: CIFAR-10 test error (%) and parameters of the ResNets; 110 also as mean +- std of 5 runs.
TABLE6 = pd.DataFrame([
    ("cifar_resnet20", 20, 0.27e6, 8.75, None),
    ("cifar_resnet32", 32, 0.46e6, 7.51, None),
    ("cifar_resnet44", 44, 0.66e6, 7.17, None),
    ("cifar_resnet56", 56, 0.85e6, 6.97, None),
    ("cifar_resnet110", 110, 1.7e6, 6.43, "6.61 ± 0.16"),
    ("cifar_resnet1202", 1202, 19.4e6, 7.93, None),
], columns=["model", "depth", "parameters", "paper_error", "paper_mean_std"])

# A widely used PyTorch reproduction (github.com/akamaster/pytorch_resnet_cifar10, README table),
# test error (%) with the same recipe.
REPRODUCTIONS = pd.DataFrame([
    ("cifar_resnet20", 8.27), ("cifar_resnet32", 7.37), ("cifar_resnet44", 6.90),
    ("cifar_resnet56", 6.61), ("cifar_resnet110", 6.32), ("cifar_resnet1202", 6.18),
], columns=["model", "akamaster_error"])

# Table 2: ImageNet validation top-1 error (%, 10-crop testing) of the nets in Fig. 4.
TABLE2 = pd.DataFrame([
    ("plain18", 27.94), ("plain34", 28.54), ("resnet18", 27.88), ("resnet34", 25.03),
], columns=["model", "paper_top1_error"])

# Section 4.2 text: the plain nets' story in Fig. 6 is qualitative (deeper plain nets have higher
# training error); the paper states no plain-net numbers in a table, so none are listed here.


# The grids of the paper's figures, as model names (imports no torch): Fig. 6 / Table 6 train plain
# nets of 20-56 layers and ResNets of 20-110 on CIFAR-10 (section 4.2); Fig. 4 / Table 2 train
# 18- and 34-layer nets on ImageNet (section 4.1).
FIG6_PLAIN = [f"cifar_plain{d}" for d in (20, 32, 44, 56)]
FIG6_RESNET = [f"cifar_resnet{d}" for d in (20, 32, 44, 56, 110)]
FIG4_PLAIN, FIG4_RESNET = ["plain18", "plain34"], ["resnet18", "resnet34"]

