"""The report side's registry (issue 22): an analysis registered in one place, here a toy known
only to this test, with its own kind of results folder, appears in the notebooks' list, in `make
figures` and in the deck in both languages (under "Why do shortcuts help?"), and no other file
changes."""

import re
from pathlib import Path

import matplotlib.pyplot as plt
import nbformat
import pandas as pd
import pytest

from resnet_study.reports import notebooks, registry, slides
from resnet_study.reports.analysis import Analysis, Folder
from resnet_study.reports.deck import Deck, Slide, Sources
from resnet_study.reports.findings import Finding

ROOT = Path(__file__).resolve().parents[1]
HANGUL = re.compile("[\uac00-\ud7a3]")
TOY_FOLDER = Folder("toy", "results/toy", "a toy study's folder", "make toy-study")
STRINGS = {"en": {"toy.title": "A toy finding over {n} layers", "toy.line": "Beyond the paper: a toy",
                  "claims": {"toy": "Toy: the toy holds"}},
           "ko": {"toy.title": "{n}개 층에 대한 장난감 결과", "toy.line": "논문 너머: 장난감",
                  "claims": {"toy": "장난감: 성립한다"}}}


def toy_plot(results_dir):
    frame = pd.read_csv(Path(results_dir) / "toy.csv")
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.plot(frame.layer, frame.value)
    return fig


def toy_findings(results_dir):
    frame = pd.read_csv(Path(results_dir) / "toy.csv")
    return [Finding("Toy: the toy holds.", f"{len(frame)} layers", True, values=f"{len(frame)} layers")]


def toy_page(d: Deck) -> Slide | None:
    frame = d.table("toy", "toy.csv")
    if frame is None:
        return d.left_out("Toy", Path(d.sources.toy) / "toy.csv")
    read = d.record("Toy", d.sources.toy, ["toy.csv"], None)
    notes = d.notes([("toy", f) for f in toy_findings(d.sources.toy)], None, read)
    return Slide(d.t("toy.title", n=len(frame)), [d.s["toy.line"]], d.figure("toy", toy_plot(d.sources.toy)),
                 notes=notes)


def toy_notebook(path: Path) -> Path:
    """The toy's notebook: the paper's claim, parameters, a finding and a figure, as ours are."""
    cells = [nbformat.v4.new_markdown_cell("# Toy\n\n**The paper:** nothing; a toy."),
             nbformat.v4.new_code_cell('results_dir = "../results/toy"\nfigures_dir = ""'),
             nbformat.v4.new_code_cell("from pathlib import Path\nimport pandas as pd\n"
                                       "from resnet_study.reports import plots"),
             nbformat.v4.new_code_cell('frame = pd.read_csv(Path(results_dir) / "toy.csv")\n'
                                       'fig = frame.plot(x="layer", y="value").figure\n'
                                       'if figures_dir:\n    plots.save(fig, figures_dir, "toy")')]
    cells[1].metadata["tags"] = ["parameters"]
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, path)
    return path


@pytest.fixture
def toy(tmp_path):
    folder = tmp_path / "toy"
    folder.mkdir()
    pd.DataFrame({"layer": [1, 2, 3], "value": [0.3, 0.2, 0.1]}).to_csv(folder / "toy.csv", index=False)
    analysis = Analysis("toy", "Toy", "toy", ("toy.csv",), findings=toy_findings, plot=toy_plot,
                        notebook=str(toy_notebook(tmp_path / "toy.ipynb")), pages=toy_page, section="why",
                        order=10, strings=STRINGS)
    registry.register(analysis, TOY_FOLDER)
    yield folder
    registry.unregister("toy", "toy")


def test_the_registry_lists_every_analysis_once_with_its_folder_and_words():
    names = [a.name for a in registry.analyses()]
    assert names[:8] == ["fig1", "block", "fig6", "table6", "fig4", "fig7", "constructed", "gradient_flow"]
    assert {f.key for f in registry.folders()} >= {"cifar", "imagenet", "constructed", "published"}
    for analysis in registry.analyses():
        en, ko = analysis.strings.get("en", {}), analysis.strings.get("ko", {})
        assert set(en) == set(ko) and set(en.get("claims", {})) == set(ko.get("claims", {})), analysis.name
    with pytest.raises(ValueError, match="registered already"):
        registry.register(Analysis("fig1", "another Fig. 1"))
    with pytest.raises(ValueError, match="unknown folders"):
        registry.register(Analysis("lost", "Lost", "nowhere"))
    with pytest.raises(ValueError, match=r"reuses the deck's words \['fig1.lines', 'takeaways.title'\]"):
        registry.register(Analysis("echo", "Echo", strings={"en": {"fig1.lines": [], "takeaways.title": ""}}))
    assert "echo" not in [a.name for a in registry.analyses()]


def test_a_toy_analysis_shows_in_the_notebooks_list_the_figures_and_both_decks(toy, tmp_path):
    assert "toy" in [a.name for a in registry.notebooks()] and "toy" in [f.key for f in registry.folders()]
    figures, out = tmp_path / "figures", tmp_path / "executed"
    assert notebooks.main(["--only", "toy", "--results", f"toy={toy}", "--figures", str(figures),
                           "--out", str(out)]) == 0
    assert (figures / "toy.png").stat().st_size > 1000 and (out / "toy.ipynb").exists()
    for lang, divider in (("en", "Why do shortcuts help?"), ("ko", registry.words("ko")["why.title"])):
        sources = Sources(cifar=ROOT / "results" / "cifar_study", toy=toy)
        pages, pptx, _ = slides.build(sources, tmp_path / lang, lang)
        titles = [p.title for p in pages]
        toy_title = registry.words(lang)["toy.title"].format(n=3)
        assert titles.index(divider) + 1 == titles.index(toy_title) < titles.index(registry.words(lang)
                                                                                     ["takeaways.title"])
        assert lang == "en" or HANGUL.search(toy_title)
        claims = [row[0] for p in pages if p.table and p.title == registry.words(lang)["claims.title"]
                  for row in p.table[1:]]
        assert STRINGS[lang]["claims"]["toy"] in claims


def test_without_its_tables_the_toy_stops_make_figures_and_leaves_the_deck(toy, tmp_path, capsys):
    assert notebooks.main(["--only", "toy", "--toy", str(tmp_path / "none"), "--out", str(tmp_path / "o")]) == 2
    assert "does not exist; run `make toy-study`" in capsys.readouterr().err
    pages, _, _ = slides.build(Sources(cifar=ROOT / "results" / "cifar_study", toy=tmp_path / "none"),
                               tmp_path / "deck", "en")
    appendix = " ".join(next(p for p in pages if p.body).body)
    assert "Toy: left out" in appendix and "Why do shortcuts help?" not in [p.title for p in pages]


def test_results_words_name_known_folders_only(capsys):
    assert notebooks.main(["--results", "cifar=results/cifar_study somewhere"]) == 2
    assert "RESULTS takes cifar=DIR" in capsys.readouterr().err
