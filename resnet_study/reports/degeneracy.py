"""The degeneracy audit (Orhan & Pitkow 2018) from ``results/why/degeneracy/degeneracy.csv``: the finding,
its figure and their words in English and Korean. Activations are of training images of the nets."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from ..models import model_info
from .tables import MissingResults

TABLE, COMMAND = "degeneracy.csv", "make why-degeneracy DATA_DIR=<cifar folder>"
STRINGS = {
    "en": {
        "title.scale": "plain-{d}'s BN scales collapsed (mean |γ| {p_gamma} vs {r_gamma}), but only {p_dead}% "
                       "of its channels are dead",
        "title.dead": "Plain-{d} has dead units: {p_dead}% of channels vs {r_dead}% in ResNet-{d}",
        "lines": ["Orhan & Pitkow 2018: plain nets sit near degenerate points of the loss",
                  "Dead channels {p_dead}% vs {r_dead}%; effective rank share {p_rank} vs {r_rank}; "
                  "most similar channels |r| {p_corr} vs {r_corr}",
                  "Not dead units: BN leaves a plain layer's scale free (the next BN undoes it); the one BN whose "
                  "scale reaches the classifier keeps |γ| {p_last}",
                  "Freedom allows the collapse but does not force it: ResNet-{d}'s first BN in each block is as free "
                  "and keeps |γ| {r_first}",
                  "Shallower plain nets, equally free, keep mean |γ| {others}",
                  "On {images} training images of wooyeolBaek's plain-{d} and ResNet-{d}"],
        "panels": ["dead channels (%)", "mean |γ| of the layer's BN", "effective rank / channels",
                   "max |correlation| of two channels"],
        "layer": "layer",
    },
    "ko": {
        "title.scale": "plain-{d}의 BN γ 붕괴 (평균 |γ| {p_gamma} vs {r_gamma}), 죽은 유닛(dead unit)은 {p_dead}%뿐",
        "title.dead": "plain-{d}에는 죽은 유닛(dead unit)이 있다: 채널의 {p_dead}% vs ResNet-{d} {r_dead}%",
        "lines": ["Orhan & Pitkow 2018: plain 네트워크는 손실의 특이점(degenerate point) 가까이에 있다",
                  "죽은 채널 {p_dead}% vs {r_dead}%; effective rank 비율 {p_rank} vs {r_rank}; "
                  "가장 비슷한 두 채널 |r| {p_corr} vs {r_corr}",
                  "죽은 유닛 때문이 아니다: 배치 정규화 (BN)가 plain 층의 스케일을 자유롭게 한다 (다음 BN이 "
                  "되돌린다); 스케일이 분류기까지 가는 마지막 BN만 |γ| {p_last}를 유지",
                  "자유롭다고 반드시 붕괴하지는 않는다: ResNet-{d} 각 블록의 첫 BN도 똑같이 자유롭지만 "
                  "|γ| {r_first}",
                  "똑같이 자유로운 더 얕은 plain 네트워크의 평균 |γ|: {others}",
                  "wooyeolBaek의 plain-{d}, ResNet-{d}, 학습 이미지 {images}장"],
        "panels": ["죽은 채널 (%)", "BN 평균 |γ|", "effective rank / 채널 수", "두 채널의 최대 |상관|"],
        "layer": "층",
    },
}


def load(folder) -> pd.DataFrame:
    path = Path(folder) / TABLE
    if not path.exists():
        raise MissingResults(f"{path} does not exist; run `{COMMAND}`")
    return pd.read_csv(path)


def finding(frame: pd.DataFrame, depth: int = 56) -> dict:
    """Plain and ResNet of ``depth``: dead-channel share (%, over all channels), mean |γ|, mean |β|/|γ|,
    mean effective-rank share and mean largest |correlation| over layers, mean |γ| of the last layer
    (``_last``, whose scale reaches the classifier) and of each block's first BN (``_first``, whose scale
    the next BN undoes in either net); ``collapsed_not_dead`` when
    the plain net's γ is under a third of the ResNet's while under 5% of its channels are dead."""
    out = {"d": depth}
    for residual, key in ((False, "p"), (True, "r")):
        rows = frame[(frame.depth == depth) & (frame.residual == residual)]
        if rows.empty:
            raise MissingResults(f"{TABLE} has no {'ResNet' if residual else 'plain'}-{depth}")
        rows = rows[rows.net == rows.net.iloc[0]]
        out.update({f"{key}_dead": round(float(100 * (rows.dead_share * rows.channels).sum() / rows.channels.sum()), 1),
                    f"{key}_gamma": round(float(rows.mean_abs_gamma.mean()), 3),
                    f"{key}_ratio": round(float((rows.mean_abs_beta / rows.mean_abs_gamma).mean()), 2),
                    f"{key}_rank": round(float(rows.rank_share.mean()), 2),
                    f"{key}_corr": round(float(rows.max_abs_corr.mean()), 2), "images": int(rows.images.iloc[0]),
                    f"{key}_last": round(float(rows.mean_abs_gamma.iloc[-1]), 2),
                    f"{key}_first": round(float(rows[rows.name.str.fullmatch(r"layer\d+\.\d+\.conv1")]
                                                .mean_abs_gamma.mean()), 2)})
    plain = frame[~frame.residual.astype(bool) & (frame.depth != depth)]
    gammas = plain.groupby("depth").mean_abs_gamma.mean()
    out["others"] = ", ".join(f"{g:.2f} (plain-{d})" for d, g in gammas.items()) or "-"
    out["collapsed_not_dead"] = out["p_gamma"] < out["r_gamma"] / 3 and out["p_dead"] < 5
    return out


def words(numbers: dict, lang: str = "en") -> dict:
    s, n = STRINGS[lang], {**numbers, "images": f"{numbers['images']:,}"}
    title = s["title.scale" if numbers["collapsed_not_dead"] else "title.dead"]
    return {"title": title.format(**n), "lines": [line.format(**n) for line in s["lines"]]}


def figure(frame: pd.DataFrame, lang: str = "en", depths=(20, 56)):
    """Four panels per layer (dead share, mean |γ|, rank share, largest |correlation|), plain dashed."""
    from .plots import PALETTE

    s = STRINGS[lang]
    fig, axes = plt.subplots(1, 4, figsize=(15, 3.8))
    for net in sorted(frame.net.unique(), key=lambda n: (frame[frame.net == n].depth.iloc[0], n)):
        rows = frame[frame.net == net]
        depth, residual = int(rows.depth.iloc[0]), bool(rows.residual.iloc[0])
        if depth not in depths:
            continue
        colour = PALETTE["resnet" if residual else "plain"][list(depths).index(depth) * 2]
        for ax, column, scale in zip(axes, ["dead_share", "mean_abs_gamma", "rank_share", "max_abs_corr"],
                                     [100, 1, 1, 1]):
            ax.plot(rows.layer, scale * rows[column], "-" if residual else "--", color=colour, lw=1.5,
                    label=model_info(net.split(".")[0]).label)
    for ax, title in zip(axes, s["panels"]):
        ax.set(title=title, xlabel=s["layer"])
    axes[1].set_yscale("log")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    return fig
