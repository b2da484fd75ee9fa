"""One function per page of the deck (``deck.Deck.slides`` calls them in the story's order).
A page whose tables are missing returns None and leaves a line for the appendix saying so."""

from __future__ import annotations

from pathlib import Path

from ..models import model_info
from ..paper import FIG4_PLAIN, FIG4_RESNET, FIG6_PLAIN as PLAIN, FIG6_RESNET as RESNET, TABLE6
from . import findings, layout, outcomes, slide_figures, tables
from . import published as published_findings
from .deck import FIGURE_SIZE, Deck, Slide, label, model_pairs, pct
from .plots import millions

DEGRADATION_KEYS = ["plain_train", "resnet_train", "resnet_test", "pairs"]
FIG4_KEYS = ["fig4_plain_train", "fig4_plain_test", "fig4_resnet_train", "fig4_resnet_test"]


def _missing(d: Deck, figure: str, path) -> None:
    d.missing.append(d.t("appendix.missing", figure=figure, path=path))


def title(d: Deck) -> Slide:
    lines = d.s["title.lines"] + [d.data_line(d.runs)]
    return Slide(d.t("title.title"), lines, title_page=True)


def fig1(d: Deck) -> Slide | None:
    counts = tables.census(d.runs)
    diverged = outcomes.diverged_all(counts, "cifar_plain56")  # a result: the degradation at its strongest
    if "cifar_plain20" not in d.finals.index or "cifar_plain56" not in d.finals.index and not diverged:
        return _missing(d, "Fig. 1", Path(d.sources.cifar) / "runs.csv (plain-20, plain-56)")
    shallow = d.finals.loc["cifar_plain20", "final_train_error"]
    deep = None if diverged else d.finals.loc["cifar_plain56", "final_train_error"]
    key = "diverged" if diverged else "agrees" if deep > shallow else "differs"
    figure = d.figure("fig1", slide_figures.curves(d.curves, [["cifar_plain20", "cifar_plain56"]], FIGURE_SIZE))
    read = d.record("Fig. 1", d.sources.cifar, ["curves.csv", "runs.csv"], d.runs)
    notes = d.notes([("fig1", f) for f in findings.fig1(d.runs, d.curves)], d.runs, read)
    return Slide(d.t(f"fig1.title.{key}", shallow=pct(shallow), deep=pct(deep or 0),
                     iteration=outcomes.diverged_iterations(counts, "cifar_plain56")),
                 d.s["fig1.lines"] + [d.t("axes.curves", split=d.split)], figure, notes=notes)


def block(d: Deck) -> Slide:
    return Slide(d.t("block.title"), d.s["block.lines"], d.figure("block", slide_figures.block(FIGURE_SIZE)))


def fig6(d: Deck) -> Slide | None:
    counts = tables.census(d.runs)  # a plain net that diverged beside a trained ResNet is the finding itself
    pairs = [(p, r) for p, r in model_pairs([20, 32, 44, 56])
             if (p in d.finals.index or outcomes.diverged_all(counts, p)) and r in d.finals.index]
    if not pairs:
        return _missing(d, "Fig. 6", Path(d.sources.cifar) / "runs.csv (plain and ResNet of one depth)")
    plain, resnet = pairs[-1]
    r = d.finals.loc[resnet, "final_train_error"]
    p = d.finals.loc[plain, "final_train_error"] if plain in d.finals.index else float("inf")
    figure = d.figure("fig6", slide_figures.curves(d.curves, [PLAIN, RESNET], FIGURE_SIZE))
    read = d.record("Fig. 6", d.sources.cifar, ["curves.csv", "runs.csv"], d.runs)
    found = findings.degradation(d.runs, PLAIN, RESNET)
    notes = d.notes(list(zip(DEGRADATION_KEYS, found)), d.runs, read)
    values = dict(plain=label(plain), resnet=label(resnet), p=pct(p) if p < float("inf") else "", r=pct(r),
                  depth=model_info(plain).depth, iteration=outcomes.diverged_iterations(counts, plain))
    key = "diverged" if p == float("inf") else "agrees" if r < p else "differs"
    return Slide(d.t(f"fig6.title.{key}", **values),
                 d.s["fig6.lines"] + [d.t("axes.curves", split=d.split), d.data_line(d.runs)], figure, notes=notes)


def _published_source(d: Deck, kind: str) -> str | None:
    """The published source with the most nets of ``kind`` ('resnet', or 'pair' for plain/ResNet twins)."""
    frame = d.published if kind == "resnet" else d.published_responses
    if frame.empty:
        return None
    counts = {}
    for source, group in frame.groupby("source"):
        models = set(group.model)
        counts[source] = (sum(m in models for m in RESNET) if kind == "resnet"
                          else sum(p in models and r in models for p, r in model_pairs([20, 32, 44, 56, 110])))
    best = max(sorted(counts), key=counts.get)
    return best if counts[best] else None


def table6(d: Deck) -> Slide:
    source = _published_source(d, "resnet")
    published = d.published[d.published.source == source].set_index("model") if source else None
    split = d.split
    header = [c.format(split=split) for c in d.s["table6.columns"]]
    if source is None:
        header = header[:3] + header[5:]
    rows = []
    for model, parameters, paper in zip(TABLE6.model, TABLE6.parameters, TABLE6.paper_error):
        if _ours(d, model) == "—" and (published is None or model not in published.index):
            continue
        ours = _ours(d, model)
        row = [label(model), millions(parameters), f"{paper:.2f}"]
        if published is not None:
            known = model in published.index
            stated = published.stated_error.get(model) if "stated_error" in published else None
            row += [f"{100 * stated:.2f}" if known and stated == stated and stated is not None else "—",
                    f"{100 * published.error[model]:.1f} ({published.split[model]})" if known else "—"]
        rows.append(row + [ours])
    stated = (published.stated_error.dropna() if published is not None and "stated_error" in published
              else None)
    stated = stated[[m for m in RESNET if m in stated.index]] if stated is not None else None
    if stated is not None and len(stated) >= 2:
        key = "published" if stated.iloc[-1] < stated.iloc[0] else "published_differs"
        ends, depths = stated.iloc[[0, -1]], [model_info(m).depth for m in stated.index[[0, -1]]]
    else:
        ours = d.finals.final_test_error[[m for m in RESNET if m in d.finals.index]]
        key, ends, depths = "ours", ours.iloc[[0, -1]], [model_info(m).depth for m in ours.index[[0, -1]]]
    tables_read = d.record("Table 6", d.sources.cifar, ["runs.csv"], d.runs)
    if source is not None:
        tables_read += ", " + d.record(f"Table 6 ({source})", d.sources.published, ["published.csv"], None)
    notes = d.notes([], d.runs, tables_read) + [d.s["table6.unit"]]
    lines = ([d.t("table6.line.source", source=source), d.s["table6.line.seen"]] if source is not None else []) \
        + [d.data_line(d.runs)]
    return Slide(d.t(f"table6.title.{key}", a=pct(ends.iloc[0]), b=pct(ends.iloc[-1]), d1=depths[0], d2=depths[1],
                     split=split), lines, table=[header] + rows, notes=notes)


def _ours(d: Deck, model: str) -> str:
    return outcomes.error_cell(d.runs, model, d.finals, d.s["table6.diverged"], d.s["table6.of_runs"])


def fig4(d: Deck) -> Slide | None:
    runs = d.imagenet
    finals = d._finals(runs) if runs is not None else None
    if finals is None or d.imagenet_curves is None or not set(FIG4_PLAIN) <= set(finals.index):
        return _missing(d, "Fig. 4", Path(d.sources.imagenet) / "runs.csv, curves.csv")
    shallow, deep = finals.loc[FIG4_PLAIN, "final_train_error"]
    figure = d.figure("fig4", slide_figures.curves(d.imagenet_curves, [FIG4_PLAIN, FIG4_RESNET], FIGURE_SIZE))
    read = d.record("Fig. 4", d.sources.imagenet, ["curves.csv", "runs.csv"], runs)
    notes = d.notes(list(zip(FIG4_KEYS, findings.fig4(runs))), runs, read)
    split = d.s["splits"][findings.eval_name(runs)]
    return Slide(d.t(f"fig4.title.{'agrees' if deep > shallow else 'differs'}", shallow=pct(shallow), deep=pct(deep)),
                 d.s["fig4.lines"] + [d.t("axes.curves", split=split), d.data_line(runs)], figure, notes=notes)


def fig7(d: Deck) -> Slide | None:
    source = _published_source(d, "pair")
    if source is not None:
        responses = d.published_responses[d.published_responses.source == source]
        lines = [d.t("fig7.lines.published", source=source)]
        read = d.record(f"Fig. 7 ({source})", d.sources.published, ["responses.csv", "published.csv"], None)
    elif d.responses is not None:
        responses, lines = d.responses, list(d.s["fig7.lines.ours"])
        read = d.record("Fig. 7", d.sources.cifar, ["responses.csv"], d.runs)
    else:
        return _missing(d, "Fig. 7", Path(d.sources.published) / "responses.csv")
    std = responses.groupby(["model", "layer"])["std"].mean()
    models = set(responses.model)
    pairs = [(p, r) for p, r in model_pairs([20, 32, 44, 56, 110]) if p in models and r in models]
    if not pairs:
        return _missing(d, "Fig. 7", "responses.csv (plain and ResNet of one depth)")
    resnets = [m for m in RESNET if m in models]
    deepest = resnets[-1]  # with the shallowest and deepest twins: few lines to read
    shown = list(dict.fromkeys([*pairs[0], *pairs[-1], deepest]))
    figure = d.figure("fig7", slide_figures.responses(responses, shown, FIGURE_SIZE))
    # The appendix's "ours" column holds our runs only; the published nets' findings go to the notes.
    ours = findings.fig7(d.responses, d.runs) if d.responses is not None else []
    if ours and source is not None:
        read += ", " + d.record("Fig. 7 (ours)", d.sources.cifar, ["responses.csv"], d.runs)
    notes = d.notes(list(zip(["fig7_twins", "fig7_depth"], ours)), None, read)
    if source is not None and "tag" in d.published and d.published.tag.notna().all():  # evaluate --published
        notes += [f"{f.ours} ({d.s['verdict'][f.agrees]})"
                  for f in published_findings.fig7(d.published, d.published_responses)]
    mean = std.groupby(level=0).mean()
    lines += [_twins_line(d, std, pairs, source), d.s["axes.responses"]]
    if len(resnets) >= 2 and mean[deepest] < mean[resnets[0]]:  # the depth claim holds: it is the title
        return Slide(d.t("fig7.title.depth", a=f"{mean[resnets[0]]:.2f}", b=f"{mean[deepest]:.2f}",
                         d1=model_info(resnets[0]).depth, d2=model_info(deepest).depth), lines, figure, notes=notes)
    plain, resnet = pairs[-1]
    k, n = findings.layers_below(std, plain, resnet)
    return Slide(d.t(f"fig7.title.{'agrees' if k > n / 2 else 'differs'}", resnet=label(resnet), plain=label(plain),
                     k=k, n=n), lines, figure, notes=notes)


def _twins_line(d: Deck, std, pairs: list[tuple[str, str]], source: str | None) -> str:
    """ResNet against plain at the shallowest depth, and why the deepest plain net responds little
    when its BN scales shrank (a plain net allows that: each BN undoes the scale before it)."""
    plain, resnet = pairs[0]
    k, n = findings.layers_below(std, plain, resnet)
    line = d.t("fig7.line.twins", resnet=label(resnet), plain=label(plain), k=k, n=n)
    deep_plain, deep_resnet = pairs[-1]
    gamma = (d.published[d.published.source == source].set_index("model").get("mean_abs_gamma")
             if source is not None and d.published is not None else None)
    k_deep, n_deep = findings.layers_below(std, deep_plain, deep_resnet)
    if gamma is not None and deep_plain in gamma.index and k_deep <= n_deep / 2:
        line += d.t("fig7.line.gamma", plain=label(deep_plain), g=f"{gamma[deep_plain]:.2f}")
    return line


def constructed(d: Deck) -> Slide | None:
    """Section 1's argument run: the plain construction's errors, built by hand against SGD's."""
    if d.constructed is None:
        return _missing(d, d.s["constructed.title"], d.sources.constructed)
    table = d.constructed
    plain = [c for c in dict.fromkeys(table.construction)
             if not model_info(table[table.construction == c].net.iloc[0]).residual]
    construction = (plain or list(dict.fromkeys(table.construction)))[0]
    rows = table[(table.construction == construction) & (table.split == "holdout")].set_index("role")
    built, scratch = rows.error.get("built"), rows.error.get("from scratch")
    read = d.record(d.s["constructed.title"], d.sources.constructed, [f"{construction}/construct.csv"], None)
    figure = d.figure("constructed", slide_figures.constructed(table, construction, FIGURE_SIZE))
    deep, shallow = label(rows.net["built"]), label(rows.net["shallow"])
    title = (d.t("constructed.title.agrees" if built <= scratch else "constructed.title.differs", deep=deep,
                 shallow=shallow, built=pct(built), scratch=pct(scratch)) if scratch is not None
             else d.s["constructed.title"])
    return Slide(title, d.s["constructed.lines"] + [d.s["constructed.arms"], d.s["constructed.seen"]], figure,
                 notes=d.notes([], None, read))


def takeaways(d: Deck) -> Slide:
    f, lines = d.finals, []
    if {"cifar_plain20", "cifar_plain56"} <= set(f.index):
        shallow, deep = f.loc[["cifar_plain20", "cifar_plain56"], "final_train_error"]
        lines.append(d.t("takeaways.plain", shallow=pct(shallow), deep=pct(deep)))
    if {"cifar_plain56", "cifar_resnet56"} <= set(f.index):
        p, r = f.loc[["cifar_plain56", "cifar_resnet56"], "final_train_error"]
        lines.append(d.t("takeaways.resnet", resnet="ResNet-56", plain="plain-56", r=pct(r), p=pct(p)))
    source = _published_source(d, "resnet")
    stated = d.published[d.published.source == source].set_index("model").get("stated_error") if source else None
    stated = stated.dropna()[[m for m in RESNET if m in stated.dropna().index]] if stated is not None else None
    if stated is not None and len(stated) >= 2:
        lines.append(d.t("takeaways.published", a=pct(stated.iloc[0]), b=pct(stated.iloc[-1])))
    elif d.imagenet is not None:
        finals = d._finals(d.imagenet)
        if set(FIG4_PLAIN) <= set(finals.index):
            lines.append(d.t("takeaways.imagenet", shallow=pct(finals.loc["plain18", "final_train_error"]),
                             deep=pct(finals.loc["plain34", "final_train_error"])))
    return Slide(d.t("takeaways.title"), lines[:3], title_page=True)


def appendix(d: Deck) -> list[Slide]:
    made = Slide(d.t("appendix.title"), body=d.made + d.missing + [d.s["appendix.paper"]])
    rows = [[d.s["claims"][key], f.values or "—", d.s["verdict"][f.agrees]] for key, f in d.claims]
    header = d.s["claims.columns"]
    _, _, heights = layout.table_cells([header] + rows, layout.TABLE["w"], layout.TABLE["pt"])
    pages, height = [[]], heights[0]
    for row, row_height in zip(rows, heights[1:]):  # as many rows as fit above the slide's foot
        if pages[-1] and height + row_height > layout.BODY["h"]:
            pages, height = pages + [[]], heights[0]
        pages[-1].append(row)
        height += row_height
    return [made, *(Slide(d.t("claims.title"), table=[header] + page) for page in pages if page)]


def slides(d: Deck) -> list[Slide]:
    """The deck's pages in the story's order; pages whose tables are missing are left out."""
    made = [title(d), fig1(d), block(d), fig6(d), table6(d), fig4(d), fig7(d), constructed(d)]
    return [slide for slide in made if slide is not None] + [takeaways(d), *appendix(d)]
