"""Loss landscapes (Li et al. 2018, Fig. 1 and 5) from ``results/why/landscape/landscape.csv``: the
finding, the contour and 3-D figures and their words in English and Korean."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..models import model_info
from .tables import MissingResults

TABLE, COMMAND = "landscape.csv", "make why-landscape DATA_DIR=<cifar folder>"
STRINGS = {
    "en": {
        "title": "Around its minimum ResNet-{d} is nearly convex, plain-{d} is not: {r_nc}% vs {p_nc}% non-convex",
        "lines": ["Li et al. 2018: the same random directions through both twins' trained weights",
                  "Share of the central quarter where the smaller curvature is negative: plain-{d} {p_nc}%, "
                  "ResNet-{d} {r_nc}%; the loss doubles {p_double} vs {r_double} from the minimum",
                  "Loss on {images} training images of the nets; a random 2-D slice can show non-convexity but "
                  "not prove its absence, and BN makes filter normalisation imperfect"],
        "caveat": "A random 2-D slice can show non-convexity but cannot prove its absence; BN makes filter "
                  "normalisation imperfect. Loss on training images of these nets.",
        "alpha": "α (direction δ)", "beta": "β (direction η)", "loss": "log10 loss",
        "axis": "1-D: the grid's axes (solid: α with β = 0, dotted: β with α = 0)", "step": "α or β",
        "nats": "loss (nats, log scale)",
    },
    "ko": {
        "title": "최소점 주변의 비볼록 비율: ResNet-{d} {r_nc}% vs plain-{d} {p_nc}%, ResNet은 거의 볼록",
        "lines": ["Li et al. 2018, 손실 지형 (loss landscape): 두 twin의 학습된 가중치를 같은 랜덤 방향으로 자른 단면",
                  "중앙 1/4에서 작은 곡률이 음수인 비율: plain-{d} {p_nc}%, ResNet-{d} {r_nc}%; "
                  "손실이 두 배가 되는 거리 {p_double} vs {r_double}",
                  "이 네트워크들의 학습 이미지 {images}장의 손실; 랜덤 2-D 단면은 비볼록을 보여줄 수는 있어도 "
                  "볼록함을 증명하지 못하며, BN 때문에 filter normalization은 불완전하다"],
        "caveat": "랜덤 2-D 단면은 비볼록을 보여줄 수는 있어도 볼록함을 증명하지 못한다; BN 때문에 filter "
                  "normalization은 불완전하다. 이 네트워크들의 학습 이미지에서 잰 손실.",
        "alpha": "α (방향 δ)", "beta": "β (방향 η)", "loss": "log10 손실",
        "axis": "1-D: 격자의 두 축 (실선: β = 0에서 α, 점선: α = 0에서 β)", "step": "α 또는 β",
        "nats": "손실 (nats, 로그 축)",
    },
}


def load(folder) -> pd.DataFrame:
    path = Path(folder) / TABLE
    if not path.exists():
        raise MissingResults(f"{path} does not exist; run `{COMMAND}`")
    return pd.read_csv(path)


def surface(frame: pd.DataFrame, net: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(alphas, betas, loss[beta, alpha]) of one net's complete grid."""
    rows = frame[frame.net == net].pivot_table(index="beta", columns="alpha", values="loss")
    return rows.columns.to_numpy(), rows.index.to_numpy(), rows.to_numpy()


def curvature(alphas: np.ndarray, betas: np.ndarray, loss: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Principal curvatures (smaller, larger) at the interior points, from central finite differences
    of the loss (the Hessian of the 2-D slice, as Li et al. map |λmin/λmax|)."""
    ha, hb = alphas[1] - alphas[0], betas[1] - betas[0]
    f = loss
    faa = (f[1:-1, 2:] - 2 * f[1:-1, 1:-1] + f[1:-1, :-2]) / ha ** 2
    fbb = (f[2:, 1:-1] - 2 * f[1:-1, 1:-1] + f[:-2, 1:-1]) / hb ** 2
    fab = (f[2:, 2:] - f[2:, :-2] - f[:-2, 2:] + f[:-2, :-2]) / (4 * ha * hb)
    mid, rad = (faa + fbb) / 2, np.sqrt(((faa - fbb) / 2) ** 2 + fab ** 2)
    return mid - rad, mid + rad


def doubling(alphas: np.ndarray, betas: np.ndarray, loss: np.ndarray) -> float:
    """The smallest distance from the centre, along either axis, at which the loss reaches twice the
    centre's (linear interpolation between grid points); inf when it never does."""
    ia, ib = int(np.argmin(np.abs(alphas))), int(np.argmin(np.abs(betas)))
    centre, best = loss[ib, ia], np.inf
    for coords, line, i0 in ((alphas, loss[ib, :], ia), (betas, loss[:, ia], ib)):
        for step in (1, -1):
            i = i0
            while 0 <= i + step < len(line):
                if line[i + step] >= 2 * centre:
                    t = (2 * centre - line[i]) / (line[i + step] - line[i])
                    best = min(best, abs(coords[i] + t * (coords[i + step] - coords[i])))
                    break
                i += step
    return best


def net_numbers(frame: pd.DataFrame, net: str) -> dict:
    """Non-convex share (%) of the central quarter (|α|, |β| <= span/2) and of the whole interior,
    and the doubling distance, of one net."""
    alphas, betas, loss = surface(frame, net)
    small, _ = curvature(alphas, betas, loss)
    a, b = np.meshgrid(alphas[1:-1], betas[1:-1])
    span = max(abs(alphas).max(), abs(betas).max())
    central = (np.abs(a) <= span / 2 + 1e-9) & (np.abs(b) <= span / 2 + 1e-9)
    return {"nonconvex_central": 100 * float((small[central] < 0).mean()),
            "nonconvex_all": 100 * float((small < 0).mean()), "doubling": doubling(alphas, betas, loss),
            "centre_loss": float(loss[np.argmin(np.abs(betas)), np.argmin(np.abs(alphas))])}


def finding(frame: pd.DataFrame, depth: int = 56) -> dict:
    out = {"d": depth}
    for residual, key in ((False, "p"), (True, "r")):
        nets = frame[(frame.depth == depth) & (frame.residual == residual)].net.unique()
        if not len(nets):
            raise MissingResults(f"{TABLE} has no {'ResNet' if residual else 'plain'}-{depth}")
        n = net_numbers(frame, nets[0])
        out.update({f"{key}_nc": f"{n['nonconvex_central']:.0f}", f"{key}_nc_all": f"{n['nonconvex_all']:.0f}",
                    f"{key}_double": f"{n['doubling']:.2f}", f"{key}_centre": f"{n['centre_loss']:.3f}"})
        out["images"] = int(frame[frame.net == nets[0]].images.iloc[0])
    return out


def words(numbers: dict, lang: str = "en") -> dict:
    s, n = STRINGS[lang], {**numbers, "images": f"{numbers['images']:,}"}
    return {"title": s["title"].format(**n), "lines": [line.format(**n) for line in s["lines"]]}


def _nets(frame: pd.DataFrame) -> list[str]:
    return sorted(frame.net.unique(), key=lambda n: (frame[frame.net == n].depth.iloc[0],
                                                     bool(frame[frame.net == n].residual.iloc[0])))


def contours(frame: pd.DataFrame, lang: str = "en"):
    """Contours of log10 loss, one panel per net (plain beside ResNet, a row per depth), as Li et al. Fig. 5."""
    s, nets = STRINGS[lang], _nets(frame)
    rows = max(1, len(nets) // 2)
    fig, axes = plt.subplots(rows, 2, figsize=(10, 4.3 * rows), squeeze=False)
    levels = np.linspace(np.log10(frame.loss.min()), np.log10(frame.loss.max()), 30)
    for i, (ax, net) in enumerate(zip(axes.flat, nets)):
        alphas, betas, loss = surface(frame, net)
        filled = ax.contourf(alphas, betas, np.log10(loss), levels=levels, cmap="viridis")
        ax.contour(alphas, betas, np.log10(loss), levels=levels[::3], colors="white", linewidths=0.5)
        ax.set(title=model_info(net.split(".")[0]).label, xlabel=s["alpha"], aspect="equal",
               ylabel=s["beta"] if i % 2 == 0 else "")
    fig.colorbar(filled, ax=axes, label=s["loss"], shrink=0.8)
    fig.text(0.01, 0.005, s["caveat"], fontsize=7, color="0.35", ha="left", va="bottom", wrap=True)
    return fig


def surfaces(frame: pd.DataFrame, lang: str = "en"):
    """3-D surfaces of the loss (clipped at 10, as Li et al.), one per net, plain beside ResNet."""
    s, nets = STRINGS[lang], _nets(frame)
    rows = max(1, len(nets) // 2)
    fig = plt.figure(figsize=(10, 4.3 * rows))
    for i, net in enumerate(nets):
        alphas, betas, loss = surface(frame, net)
        ax = fig.add_subplot(rows, 2, i + 1, projection="3d")
        a, b = np.meshgrid(alphas, betas)
        ax.plot_surface(a, b, np.minimum(loss, 10), cmap="viridis", linewidth=0, antialiased=True)
        ax.set(title=model_info(net.split(".")[0]).label, xlabel="α", ylabel="β", zlim=(0, 10))
    fig.text(0.01, 0.005, s["caveat"], fontsize=7, color="0.35", ha="left", va="bottom", wrap=True)
    return fig


def axes_1d(frame: pd.DataFrame, lang: str = "en"):
    """The 1-D curves: the loss along each axis of the grid through the minimum, every net in one panel."""
    from .plots import PALETTE

    s = STRINGS[lang]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for i, net in enumerate(_nets(frame)):
        alphas, betas, loss = surface(frame, net)
        residual = bool(frame[frame.net == net].residual.iloc[0])
        colour = PALETTE["resnet" if residual else "plain"][(i // 2) * 2]
        name = model_info(net.split(".")[0]).label
        ax.plot(alphas, loss[np.argmin(np.abs(betas)), :], "-" if residual else "--", color=colour, label=name)
        ax.plot(betas, loss[:, np.argmin(np.abs(alphas))], ":", color=colour)
    ax.set(yscale="log", xlabel=s["step"], ylabel=s["nats"], title=s["axis"])
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
