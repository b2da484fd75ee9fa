"""Shattered gradients (Balduzzi et al. 2017) from ``results/why/shatter/shatter.csv``: the finding, its
figure and their words in English and Korean."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..models import model_info
from .tables import MissingResults

TABLE, COMMAND = "shatter.csv", "make why-shatter DATA_DIR=<cifar folder>"
STRINGS = {
    "en": {
        "title": "At initialisation, plain nets' gradients shatter with depth, ResNets' do not",
        "lines": ["Balduzzi et al. 2017: correlation of neighbouring gradients ~2^-L (plain) vs ~1/√L (ResNet)",
                  "Ours at init: plain {p_slope} log2 per layer (fit at {fit} layers; {p_first} → {p_last} from {d1} "
                  "to {d2}); "
                  "ResNet ~L^{r_exp} ({r_first} → {r_last})",
                  "Trained nets: {t_min} to {t_max} (on training images of the published nets)"],
        "depth": "layers L", "corr": "correlation of neighbouring gradients", "lag": "lag (inputs apart)",
        "init": "at initialisation", "trained": "trained (published)", "auto": "autocorrelation, {d} layers",
        "ref_plain": "Balduzzi: 2^-L", "ref_res": "Balduzzi: 1/√L",
    },
    "ko": {
        "title": "초기화 상태에서 plain 네트워크의 기울기는 층이 깊어질수록 산산조각 나고, ResNet은 그렇지 않다",
        "lines": ["Balduzzi et al. 2017, shattered gradients (산산조각 난 기울기): 이웃 기울기의 상관 "
                  "~2^-L (plain) vs ~1/√L (ResNet)",
                  "초기화 상태: plain 층당 {p_slope} log2 ({fit}층에서 fit; {d1}층 {p_first} → {d2}층 {p_last}); "
                  "ResNet ~L^{r_exp} ({r_first} → {r_last})",
                  "학습된 네트워크: {t_min} ~ {t_max} (공개된 네트워크의 학습 이미지)"],
        "depth": "층 수 L", "corr": "이웃 기울기의 상관", "lag": "lag (입력 간격)",
        "init": "초기화 상태", "trained": "학습됨 (공개 가중치)", "auto": "자기상관, {d}층",
        "ref_plain": "Balduzzi: 2^-L", "ref_res": "Balduzzi: 1/√L",
    },
}


def load(folder) -> pd.DataFrame:
    path = Path(folder) / TABLE
    if not path.exists():
        raise MissingResults(f"{path} does not exist; run `{COMMAND}`")
    return pd.read_csv(path)


def neighbours(frame: pd.DataFrame) -> pd.DataFrame:
    """Mean and std of the lag-1 correlation per (trained, residual, depth), over seeds and lines."""
    rows = frame[frame.lag == 1]
    return rows.groupby(["trained", "residual", "depth"]).correlation.agg(["mean", "std"]).reset_index()


def finding(frame: pd.DataFrame) -> dict:
    """Slopes at initialisation: plain, log2 of the correlation per layer (fitted at the depths where it
    is above the noise: over 0.01 and three standard deviations across seeds and lines);
    ResNet, the exponent of L (log-log fit); and the trained nets' range."""
    table = neighbours(frame)
    init = table[~table.trained.astype(bool)]
    plain, res = init[~init.residual.astype(bool)], init[init.residual.astype(bool)]
    if plain.empty or res.empty:
        raise MissingResults(f"{TABLE} has no plain and residual nets at initialisation")
    positive = plain[plain["mean"] > np.maximum(0.01, 3 * plain["std"].fillna(0))]  # above the noise floor
    p_slope = np.polyfit(positive.depth, np.log2(positive["mean"]), 1)[0] if len(positive) > 1 else float("nan")
    r_exp = np.polyfit(np.log(res.depth), np.log(res["mean"].clip(lower=1e-6)), 1)[0]
    trained = table[table.trained.astype(bool)]
    return {"p_slope": f"{p_slope:+.3f}", "r_exp": f"{r_exp:+.2f}", "d1": int(plain.depth.min()),
            "d2": int(plain.depth.max()), "p_first": f"{plain['mean'].iloc[0]:.2f}",
            "p_last": f"{plain['mean'].iloc[-1]:.2f}", "r_first": f"{res['mean'].iloc[0]:.2f}",
            "r_last": f"{res['mean'].iloc[-1]:.2f}",
            "t_min": f"{trained['mean'].min():.2f}" if len(trained) else "-",
            "t_max": f"{trained['mean'].max():.2f}" if len(trained) else "-",
            "fit": ", ".join(str(d) for d in positive.depth), "plain_log2_per_layer": float(p_slope),
            "resnet_exponent": float(r_exp)}


def words(numbers: dict, lang: str = "en") -> dict:
    s = STRINGS[lang]
    return {"title": s["title"], "lines": [line.format(**numbers) for line in s["lines"]]}


def figure(frame: pd.DataFrame, lang: str = "en", lag_depth: int = 56):
    """Left: neighbouring-gradient correlation against depth (log scale), Balduzzi's references scaled to
    the shallowest net; right: autocorrelation against lag at ``lag_depth`` layers."""
    from .plots import PALETTE

    s = STRINGS[lang]
    table = neighbours(frame)
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    for residual, colour, marker in ((False, PALETTE["plain"][1], "o"), (True, PALETTE["resnet"][2], "s")):
        kind = "ResNet" if residual else "plain"
        init = table[(~table.trained.astype(bool)) & (table.residual == residual)]
        left.errorbar(init.depth, init["mean"].clip(lower=1e-3), yerr=init["std"], fmt="-" + marker, color=colour,
                      capsize=2, label=f"{kind}, {s['init']}")
        trained = table[table.trained.astype(bool) & (table.residual == residual)]
        left.plot(trained.depth, trained["mean"], marker, mfc="none", ms=9, color=colour,
                  label=f"{kind}, {s['trained']}")
        if len(init):
            depths = np.linspace(init.depth.min(), init.depth.max(), 50)
            first, d0 = init["mean"].iloc[0], init.depth.iloc[0]
            ref = first * (2.0 ** -(depths - d0)) if not residual else first * np.sqrt(d0 / depths)
            left.plot(depths, np.clip(ref, 1e-3, None), ":", color=colour, label=s["ref_res" if residual else
                                                                                  "ref_plain"])
        for trained_flag, style in ((False, "-"), (True, "--")):
            rows = frame[(frame.residual == residual) & (frame.trained == trained_flag) & (frame.depth == lag_depth)]
            curve = rows.groupby("lag").correlation.mean()
            if len(curve):
                right.plot(curve.index, curve.values, style, color=colour,
                           label=f"{kind}-{lag_depth}, {s['trained'] if trained_flag else s['init']}")
    left.set(yscale="log", ylim=(1e-3, 1.2), xlabel=s["depth"], ylabel=s["corr"])
    right.set(xlabel=s["lag"], ylabel=s["corr"], title=s["auto"].format(d=lag_depth))
    right.axhline(0, color="0.5", lw=1)
    left.legend(fontsize=7)
    right.legend(fontsize=7)
    fig.tight_layout()
    return fig
