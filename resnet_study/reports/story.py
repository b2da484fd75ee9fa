"""The deck's story (He et al. 2015): the title; every registered analysis's pages, section by
section (``registry.SECTIONS``: the paper's figures, then "Why do shortcuts help?" once analyses
register there); the takeaways; the appendix (which tables each figure came from, how they were
made, and the paper's claims beside ours). A page whose tables are missing is left out and the
appendix says so."""

from __future__ import annotations

from ..paper import FIG1, FIG4_PLAIN, FIG6_RESNET, pairs
from . import layout, registry, tables
from .deck import Deck, Slide, Sources, pct
from .findings import label


def deck(sources: Sources, language: str, figures) -> Deck:
    """A ``Deck`` in ``language`` with the words of every registered analysis."""
    return Deck(sources, registry.words(language), figures)


def slides(d: Deck) -> list[Slide]:
    made = [title(d)]
    for section, divider in registry.SECTIONS.items():
        pages = []
        for analysis in registry.analyses(section):
            shown = analysis.pages(d) if analysis.pages else None
            pages += [s for s in (shown if isinstance(shown, list) else [shown]) if s is not None]
        made += ([Slide(d.t(divider), title_page=True)] if divider and pages else []) + pages
    return made + [takeaways(d), *appendix(d)]


def title(d: Deck) -> Slide:
    lines = d.s["title.lines"] + [d.data_line(d.runs)]
    return Slide(d.t("title.title"), lines, title_page=True)


def takeaways(d: Deck) -> Slide:
    f, lines = d.finals, []
    if set(FIG1) <= set(f.index):
        shallow, deep = f.loc[FIG1, "final_train_error"]
        lines.append(d.t("takeaways.plain", shallow=pct(shallow), deep=pct(deep)))
    for plain, resnet in [(p, r) for p, r in pairs(f.index) if p == FIG1[-1]]:  # Fig. 1's deep net and its twin
        p, r = f.loc[[plain, resnet], "final_train_error"]
        lines.append(d.t("takeaways.resnet", resnet=label(resnet), plain=label(plain), r=pct(r), p=pct(p)))
    source = d.published_source("resnet")
    stated = d.published[d.published.source == source].set_index("model").get("stated_error") if source else None
    stated = stated.dropna()[[m for m in FIG6_RESNET if m in stated.dropna().index]] if stated is not None else None
    if stated is not None and len(stated) >= 2:
        lines.append(d.t("takeaways.published", a=pct(stated.iloc[0]), b=pct(stated.iloc[-1])))
    elif (runs := d.table("imagenet", "runs.csv")) is not None:
        finals = tables.finals(runs)
        if set(FIG4_PLAIN) <= set(finals.index):
            shallow, deep = finals.loc[FIG4_PLAIN, "final_train_error"]
            lines.append(d.t("takeaways.imagenet", shallow=pct(shallow), deep=pct(deep)))
    return Slide(d.t("takeaways.title"), lines[:3], title_page=True)


def appendix(d: Deck) -> list[Slide]:
    bodies = [[]]
    for line in d.made + d.missing + [d.s["appendix.paper"]]:  # as many lines as fit at the smallest size
        if bodies[-1] and layout.text_height(len(layout.wrapped(bodies[-1] + [line], layout.BODY, pt=layout.MIN_PT)),
                                             layout.MIN_PT) > layout.BODY["h"]:
            bodies.append([])
        bodies[-1].append(line)
    rows = [[d.s["claims"][key], f.values or "—", d.s["verdict"][f.agrees]] for key, f in d.claims]
    header = d.s["claims.columns"]
    _, _, heights = layout.table_cells([header] + rows, layout.TABLE["w"], layout.TABLE["pt"])
    pages, height = [[]], heights[0]
    for row, row_height in zip(rows, heights[1:]):  # as many rows as fit above the slide's foot
        if pages[-1] and height + row_height > layout.BODY["h"]:
            pages, height = pages + [[]], heights[0]
        pages[-1].append(row)
        height += row_height
    return [*(Slide(d.t("appendix.title"), body=body) for body in bodies),
            *(Slide(d.t("claims.title"), table=[header] + page) for page in pages if page)]
