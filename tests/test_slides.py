"""The deck: both languages, same pages in PPTX and PDF, one finding per slide computed from the
tables it names, projector-sized figures and fonts, and one sentence for what is missing."""

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from pptx import Presentation

from resnet_study.reports import pdf_deck, plots, registry, slides
from resnet_study.reports.deck import Sources

from helpers import make_font

ROOT = Path(__file__).resolve().parents[1]
CIFAR, IMAGENET = ROOT / "results" / "cifar_study", ROOT / "results" / "imagenette_study"
HANGUL = re.compile("[\uac00-\ud7a3]")
PERCENT = re.compile(r"\d+(?:\.\d+)?%")
EN, KO = registry.words("en"), registry.words("ko")  # the story's words and every analysis's


def sources(tmp_path: Path, published: Path | None = None, constructed: Path | None = None) -> Sources:
    return Sources(cifar=CIFAR, imagenet=IMAGENET, published=published or tmp_path / "no-published",
                   constructed=constructed or tmp_path / "no-constructed")


def texts(slide) -> tuple[str, list[str]]:
    """(title, other text boxes' lines) of a slide."""
    boxes = [s.text_frame.text for s in slide.shapes if s.has_text_frame]
    return boxes[0], [line for box in boxes[1:] for line in box.split("\n")]


@pytest.fixture(scope="module")
def decks(tmp_path_factory):
    out = tmp_path_factory.mktemp("decks")
    why = {f.key: registry.ROOT / f.committed for f in registry.folders() if f.key.startswith("why_")}
    built = {lang: slides.build(Sources(**sources(out), **why), out, lang) for lang in ("en", "ko")}
    return out, built


def test_why_section_has_one_page_per_analysis_with_its_figure_in_both_languages(decks):
    """Issue 25: "Why do shortcuts help?" after the paper's figures, each study's finding as a title over
    its figure, the paper's claim and ours beside it, and whose nets and which (training) images."""
    _, built = decks
    for lang, words in (("en", EN), ("ko", KO)):
        pages = built[lang][0]
        titles = [page.title for page in pages]
        assert words["why.title"] in titles
        why = pages[titles.index(words["why.title"]) + 1:][:len(registry.analyses("why"))]
        assert len(why) == 4 and all(page.figure is not None and page.figure.exists() for page in why)
        for page in why:
            assert len(page.lines) == 3 and "wooyeolBaek" in page.lines[2]
            assert page.lines[1].split(":")[0].count(words["verdict"][True]) + \
                page.lines[1].split(":")[0].count(words["verdict"][False]) == 1
        assert all(HANGUL.search(page.title) for page in why) == (lang == "ko")


def test_both_decks_have_the_same_pages_in_pptx_and_pdf(decks):
    out, built = decks
    for lang, (pages, pptx, pdf) in built.items():
        deck = Presentation(pptx)
        assert round(deck.slide_width / deck.slide_height, 2) == round(16 / 9, 2)
        assert len(deck.slides) == len(pages) and pdf is not None or pdf_deck.hangul_font() is None
        if pdf is not None:
            assert pdf.read_bytes().count(b"/Type /Page\n") + pdf.read_bytes().count(b"/Type /Page ") >= len(pages) \
                or pdf.read_bytes().count(b"/Page") >= len(pages)
    en, ko = (Presentation(built[lang][1]) for lang in ("en", "ko"))
    assert len(en.slides) == len(ko.slides)


def test_story_order_titles_state_findings(decks):
    _, built = decks
    titles = [texts(s)[0] for s in Presentation(built["en"][1]).slides]
    assert titles[1].startswith("Deeper plain nets train worse: 26% → 72% training error from 20 to 56 layers")
    assert titles[2].startswith("Residual learning") and titles[3].startswith("Shortcuts remove the degradation")
    assert "ImageNet subset" in titles[5] and titles[-2].startswith("Appendix") or titles[-3].startswith("Appendix")
    assert "Takeaways" in titles


def test_figure_slides_are_projector_sized(decks):
    _, built = decks
    deck = Presentation(built["en"][1])
    figures = 0
    for slide in deck.slides:
        pictures = [s for s in slide.shapes if s.shape_type == 13]
        title, lines = texts(slide)
        for shape in slide.shapes:
            if shape.has_text_frame:
                sizes = [r.font.size for p in shape.text_frame.paragraphs for r in p.runs]
                assert all(size is not None and size.pt >= 18 for size in sizes)
        if pictures:
            figures += 1
            assert len(pictures) == 1 and pictures[0].width >= 0.7 * deck.slide_width
            assert len(lines) <= 3 and len((title + " " + " ".join(lines)).split()) <= 60
    assert figures >= 5
    assert sum(bool(s.has_notes_slide and s.notes_slide.notes_text_frame.text) for s in deck.slides) >= 5


def test_korean_deck_is_korean_on_every_slide_with_the_same_numbers(decks):
    _, built = decks
    en, ko = (Presentation(built[lang][1]) for lang in ("en", "ko"))
    for en_slide, ko_slide in zip(en.slides, ko.slides):
        title, lines = texts(ko_slide)
        assert HANGUL.search(title + " ".join(lines)), title
        assert sorted(PERCENT.findall(texts(en_slide)[0])) == sorted(PERCENT.findall(title))
    assert set(EN) == set(KO) and set(EN["claims"]) == set(KO["claims"])


def test_every_number_presented_as_ours_is_in_the_tables_it_read(decks):
    _, built = decks
    values = set()
    for folder in (CIFAR, IMAGENET):
        runs = pd.read_csv(folder / "runs.csv")
        finals = runs[runs.status == "done"].groupby("model")[["final_train_error", "final_test_error"]].mean()
        values |= {f"{100 * v:.{digits}f}%" for v in finals.to_numpy().ravel() for digits in (0, 1)}
    for analysis in registry.analyses("why"):  # their pages' numbers: findings computed from their own tables
        for found in analysis.findings(registry.ROOT / registry.folder(analysis.folder).committed):
            values |= set(PERCENT.findall(found.ours))
    deck = Presentation(built["en"][1])
    appendix = {EN["appendix.title"], EN["claims.title"]}
    for slide in deck.slides:
        title, lines = texts(slide)
        if title in appendix:  # the appendix slides quote the paper's claims too
            continue
        shown = PERCENT.findall(" ".join([title, *lines]))
        assert set(shown) <= values, (title, set(shown) - values)
        tables = [s.table for s in slide.shapes if s.has_table]
        for table in tables:  # the "ours" column: from runs.csv
            ours = [table.cell(r, len(table.columns) - 1).text for r in range(1, len(table.rows))]
            assert {f"{v}%" for v in ours if v != "—"} <= values


def test_no_text_runs_past_its_box_or_the_page_in_either_language(decks, tmp_path):
    """PPTX: every text box lies on the page and its lines, wrapped at its font size, fit its
    height. PDF: every text drawn, measured by matplotlib's renderer, lies on the page inside a
    0.1-inch edge; Korean pages in a stand-in font whose Hangul is one em wide, as real ones are."""
    import matplotlib.pyplot as plt
    from matplotlib import font_manager
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from pptx.util import Emu

    from resnet_study.reports import layout

    _, built = decks
    for lang, (pages, pptx, _) in built.items():
        deck = Presentation(pptx)
        for number, slide in enumerate(deck.slides, 1):
            for shape in slide.shapes:
                where = f"{lang} slide {number}: {shape.name}"
                assert shape.left + shape.width <= deck.slide_width, where
                assert shape.top + shape.height <= deck.slide_height, where
                if shape.has_text_frame and shape.text_frame.text:
                    run = shape.text_frame.paragraphs[0].runs[0]
                    pt, width = run.font.size.pt, Emu(shape.width).inches - 0.2 - (0.3 if run.font.bold else 0)
                    lines = [part for p in shape.text_frame.paragraphs for part in layout.wrap(p.text, width, pt)]
                    height = len(lines) * pt * layout.LINE_SPACING / 72 + 0.1  # as layout.wrapped, with inner margins
                    assert height <= Emu(shape.height).inches + 1e-6, where
        hangul = "".join(sorted({c for page in pages for text in [page.title, *page.lines, *page.body,
                                                                   *sum(page.table or [], [])] for c in text
                                 if HANGUL.match(c)}))
        family = ["DejaVu Sans"]
        if hangul:
            font_manager.fontManager.addfont(str(make_font(tmp_path / "hangul.ttf", "Hangul Stand-in", hangul)))
            family = ["Hangul Stand-in", "DejaVu Sans"]
        with plt.rc_context({"font.family": family}):
            for number, page in enumerate(pages, 1):
                fig = pdf_deck.page(page)
                renderer = FigureCanvasAgg(fig).get_renderer()  # measured as drawn, whatever canvas it had
                inside = fig.bbox.padded(-0.1 * fig.dpi)
                texts = fig.texts + [t for ax in fig.axes for t in ax.texts]
                for text in texts:
                    extent = text.get_window_extent(renderer)
                    assert inside.contains(extent.x0, extent.y0) and inside.contains(extent.x1, extent.y1), (
                        f"{lang} page {number}: {text.get_text()[:60]!r} runs past the page")
                plt.close(fig)


def test_a_diverged_plain_net_is_a_slide_of_its_own_not_a_gap(tmp_path):
    import shutil

    cifar = tmp_path / "cifar"
    shutil.copytree(CIFAR, cifar)
    runs = pd.read_csv(cifar / "runs.csv")
    deep = runs.model == "cifar_plain56"
    runs.loc[deep, ["status", "iterations", "final_train_error", "final_test_error"]] = ["diverged", 812, None, None]
    runs.loc[runs.model == "cifar_resnet110", ["status", "iterations", "final_test_error"]] = ["diverged", 300, None]
    runs.to_csv(cifar / "runs.csv", index=False)
    pages, pptx, _ = slides.build(Sources(cifar=cifar, imagenet=IMAGENET), tmp_path, "en")
    titles = [page.title for page in pages]
    assert "Deeper plain nets train worse: plain-56 diverged at iteration 812, plain-20 trained to 26% error" in titles
    assert "Shortcuts remove the degradation: ResNet-56 trains to 31% error, plain-56 diverged at iteration 812" \
        in titles
    data = pages[0].lines[-1]  # the data line names every run that did not finish
    assert "plain-56 diverged at iteration 812" in data and "ResNet-110 diverged at iteration 300" in data
    claims = [" ".join(row) for page in pages for row in page.table or []]
    assert any("plain-44 56.6% → plain-56 diverged at iteration 812" in row and "agrees" in row for row in claims)
    assert not any("Fig. 1" in line and "missing" in line.lower() for page in pages for line in page.body)
    table6 = next(page.table for page in pages if page.table and page.table[0][0] == "net")
    assert table6[-1][0] == "ResNet-110" and table6[-1][-1] == "diverged"


def test_missing_results_folder_is_one_sentence_and_no_deck(tmp_path):
    result = subprocess.run([sys.executable, "-m", "resnet_study.reports.slides", "--cifar", str(tmp_path / "none"),
                             "--out", str(tmp_path / "out")], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 2 and "does not exist; run `make cifar-study" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "out" / "slides.pptx").exists()


def test_korean_pdf_without_a_hangul_font_says_which_to_install(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(pdf_deck, "hangul_font", lambda: None)
    code = slides.main(["--lang", "ko", "--out", str(tmp_path), "--published", str(tmp_path / "x"),
                        "--constructed", str(tmp_path / "x")])
    assert code == 3 and (tmp_path / "slides-ko.pptx").exists() and not (tmp_path / "slides-ko.pdf").exists()
    assert "fonts-noto-cjk" in capsys.readouterr().err


def test_published_and_constructed_tables_add_their_slides(tmp_path):
    """Made-up published evaluations (the schema of results/published) and a constructed table."""
    published = tmp_path / "published"
    published.mkdir()
    rows = [("someone/nets", f"cifar_{kind}{d}", d, kind == "resnet", 5170, err, "train (subset)", stated)
            for kind, base in (("plain", 0.02), ("resnet", 0.01)) for d, err, stated in
            ((20, base, 0.09 if kind == "resnet" else 0.095), (56, base / 2, 0.07 if kind == "resnet" else 0.12))]
    pd.DataFrame(rows, columns=["source", "net", "depth", "residual", "images", "error", "split", "stated_error"]) \
        .to_csv(published / "published.csv", index=False)
    pd.DataFrame([dict(source="someone/nets", net=net, layer=layer, std=(2.0 if "plain" in net else 1.0))
                  for _, net, *_ in rows for layer in range(1, 4)]).to_csv(published / "responses.csv", index=False)
    constructed = tmp_path / "constructed"
    (constructed / "plain20-56").mkdir(parents=True)  # one folder per `resnet-study construct --out`
    pd.DataFrame([("cifar_plain20", "shallow", "holdout", 0.021), ("cifar_plain56", "built", "holdout", 0.021),
                  ("cifar_plain56", "from scratch", "holdout", 0.039)],  # resnet-study construct's construct.csv
                 columns=["net", "role", "split", "error"]).to_csv(constructed / "plain20-56" / "construct.csv",
                                                                    index=False)
    pages, pptx, _ = slides.build(sources(tmp_path, published, constructed), tmp_path / "out", "en")
    titles = [p.title for p in pages]
    assert "Fully trained, deeper ResNets are better: 9% → 7% test error from 20 to 56 layers" in titles
    assert any("ResNet-56 below plain-56 on 3 of 3 layers" in t for t in titles)
    assert "A plain-56 as good as plain-20 exists: built by hand 2%, SGD from scratch 4%" in titles
    table = next(p.table for p in pages if p.table and p.title.startswith("Fully trained"))
    assert table[0][3] == "published: stated test (%)" and table[1][3] == "9.00"
    without, _, _ = slides.build(sources(tmp_path), tmp_path / "out2", "en")
    appendix = " ".join(next(p for p in without if p.body).body)
    assert "The constructed solution" in appendix and "does not exist" in appendix


def test_colours_can_be_told_apart():
    from matplotlib.colors import to_rgb

    for family in plots.PALETTE.values():
        rgb = [to_rgb(c) for c in family[:5]]
        gaps = [sum((a - b) ** 2 for a, b in zip(x, y)) ** 0.5 for i, x in enumerate(rgb) for y in rgb[i + 1:]]
        assert min(gaps) > 0.2


def test_fig7_slide_states_the_published_nets_finding_from_their_table(tmp_path):
    published = ROOT / "results" / "published"
    _, pptx, _ = slides.build(sources(tmp_path, published=published), tmp_path, "en")
    title, lines = next(texts(s) for s in Presentation(pptx).slides if "respond" in texts(s)[0])
    responses = pd.read_csv(published / "responses.csv")
    table = pd.read_csv(published / "published.csv")
    source = next(s for s in responses.source.unique()  # the source with plain twins: the one drawn
                  if (~responses[responses.source == s].residual).any())
    mean = responses[responses.source == source].groupby("net")["std"].mean()
    assert title == (f"Deeper ResNets respond less: std {mean['cifar_resnet20']:.2f} → "
                     f"{mean['cifar_resnet56']:.2f} from 20 to 56 layers")
    gamma = table[(table.source == source) & (table.net == "cifar_plain56")].mean_abs_gamma.item()
    assert any(f"plain-56 BN |γ| only {gamma:.2f}" in line for line in lines)
