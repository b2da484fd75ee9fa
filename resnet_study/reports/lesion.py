"""Lesions (Veit et al. 2016, section 4) from ``results/why/lesion/lesion.csv``: the finding, its
figure and their words in English and Korean. Errors are on training images of the published nets."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from ..models import model_info
from .tables import MissingResults

TABLE, COMMAND = "lesion.csv", "make why-lesion DATA_DIR=<cifar folder>"
STRINGS = {
    "en": {
        "title": "Delete one block: ResNet-{d} loses at most {r_max} points, plain-{d} at least {p_min}",
        "lines": ["Veit et al. 2016: a ResNet behaves like an ensemble of shallower nets",
                  "Outside its {ds} downsampling blocks, ResNet-{d} loses at most {r_in} points",
                  "Errors on {images} training images of these nets (wooyeolBaek's twins)"],
        "single": "One block deleted", "random": "k blocks deleted at random (mean of {draws} draws)",
        "block": "deleted block", "k": "blocks deleted", "error": "error (%)", "chance": "chance",
        "downsampling": "downsampling block (plain: replaced by the option-A shortcut)",
    },
    "ko": {
        "title": "블록 하나를 제거하면 에러가: ResNet-{d} 최대 +{r_max}포인트, plain-{d} 최소 +{p_min}포인트",
        "lines": ["Veit et al. 2016: ResNet은 얕은 네트워크들의 앙상블처럼 동작한다",
                  "다운샘플링 블록 {ds}개 밖에서는 ResNet-{d} 에러 증가가 최대 {r_in}포인트",
                  "이 네트워크들의 학습 이미지 {images}장에서 잰 에러 (wooyeolBaek의 twin)"],
        "single": "블록 하나 제거 (lesion study)", "random": "블록 k개를 무작위 제거 ({draws}회 평균)",
        "block": "제거한 블록", "k": "제거한 블록 수", "error": "에러 (%)", "chance": "무작위 추측",
        "downsampling": "다운샘플링 블록 (plain: option-A shortcut으로 대체)",
    },
}


def load(folder) -> pd.DataFrame:
    from pathlib import Path

    path = Path(folder) / TABLE
    if not path.exists():
        raise MissingResults(f"{path} does not exist; run `{COMMAND}`")
    return pd.read_csv(path)


def _name(net: str) -> str:
    return model_info(net.split(".")[0]).label


def finding(frame: pd.DataFrame, depth: int = 56) -> dict:
    """Single-deletion costs in points of error at ``depth``: ResNet's largest (overall and outside
    downsampling blocks) and the plain net's smallest; from the table's first twins of that depth."""
    out = {"d": depth}
    for residual, key in ((True, "r"), (False, "p")):
        nets = frame[(frame.depth == depth) & (frame.residual == residual)].net.unique()
        if not len(nets):
            raise MissingResults(f"{TABLE} has no {'ResNet' if residual else 'plain'}-{depth}")
        rows = frame[frame.net == nets[0]]
        intact = rows[rows.kind == "none"].error.iloc[0]
        cost = 100 * (rows[rows.kind == "single"].error - intact)
        inside = cost[~rows[rows.kind == "single"].downsampling.astype(bool)]
        out.update({f"{key}_intact": round(100 * float(intact), 2), f"{key}_max": round(float(cost.max()), 1),
                    f"{key}_min": round(float(cost.min()), 1), f"{key}_in": round(float(inside.max()), 1),
                    "images": int(rows.images.iloc[0]),
                    "ds": int(rows[rows.kind == "single"].downsampling.astype(bool).sum())})
    return out


def words(numbers: dict, lang: str = "en") -> dict:
    """The slide's title and lines with the numbers in."""
    s, n = STRINGS[lang], {**numbers, "images": f"{numbers['images']:,}"}
    return {"title": s["title"].format(**n), "lines": [line.format(**n) for line in s["lines"]]}


def figure(frame: pd.DataFrame, lang: str = "en"):
    """Left: error with each single block deleted, per net; right: error against k random deletions."""
    from .plots import PALETTE

    s = STRINGS[lang]
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    nets = sorted(frame.net.unique(), key=lambda n: (frame[frame.net == n].depth.iloc[0], n))
    for net in nets:
        rows = frame[frame.net == net]
        residual, depth = bool(rows.residual.iloc[0]), int(rows.depth.iloc[0])
        colours = PALETTE["resnet" if residual else "plain"]
        colour = colours[[20, 56, 110, 32, 44].index(depth) % len(colours)] if depth in (20, 56, 110, 32, 44) \
            else colours[0]
        style = "-" if residual else "--"
        single = rows[rows.kind == "single"]
        left.plot(single.draw + 1, 100 * single.error, style, color=colour, marker="o", ms=3, label=_name(net))
        ds = single[single.downsampling.astype(bool)]  # a single deletion's draw is its block's index
        left.plot(ds.draw + 1, 100 * ds.error, "s", ms=8, mfc="none", color=colour)
        rand = rows[rows.kind.isin(["random", "none"])].groupby("k").error.agg(["mean", "std"]).fillna(0)
        right.errorbar(rand.index, 100 * rand["mean"], yerr=100 * rand["std"], fmt=style, color=colour, marker="o",
                       ms=3, capsize=2, label=_name(net))
    for ax in (left, right):
        ax.axhline(90, color="0.5", lw=1, ls=":")
        ax.text(ax.get_xlim()[1], 90, s["chance"], ha="right", va="bottom", fontsize=8, color="0.4")
        ax.set_ylabel(s["error"])
        ax.set_ylim(0, 100)
    left.plot([], [], "s", mfc="none", color="0.3", label=s["downsampling"])
    left.set(title=s["single"], xlabel=s["block"])
    draws = int(frame[frame.kind == "random"].draw.max() + 1) if (frame.kind == "random").any() else 0
    right.set(title=s["random"].format(draws=draws), xlabel=s["k"])
    left.legend(fontsize=7, loc="best")
    right.xaxis.get_major_locator().set_params(integer=True)
    right.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig
