"""Notebooks redraw the paper's figures from results/ tables, are committed with their outputs,
and stop `make figures` with their own sentence when the tables are missing."""

import json
import subprocess
import sys
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import nbformat

import pandas as pd
import papermill
import pytest
import torch
from matplotlib.figure import Figure

from resnet_study.cli import main
from resnet_study.models import create_model
from resnet_study.reports import notebooks, plots, registry, tables

from helpers import save_akamaster, trained_looking

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = [registry.notebook_path(a) for a in registry.notebooks()]  # the registry's, in the deck's order
CIFAR, IMAGENET = ROOT / "results" / "cifar_study", ROOT / "results" / "imagenette_study"


def test_every_committed_notebook_is_registered_and_every_registered_one_committed():
    # colab_quickstart trains instead of redrawing a figure; test_colab_notebook.py runs it
    assert sorted(NOTEBOOKS) == sorted(p for p in (ROOT / "notebooks").glob("*.ipynb") if p.stem != "colab_quickstart")


@pytest.mark.parametrize("analysis", [a for a in registry.analyses() if a.folder], ids=lambda a: a.name)
def test_each_analysis_finds_and_draws_from_its_committed_tables(analysis):
    folder = ROOT / registry.folder(analysis.folder).committed
    found = analysis.findings(folder)
    assert found and all(f.verdict in ("agrees", "differs", "not measured") and f.ours for f in found)
    if analysis.plot is not None:
        drawn = analysis.plot(folder)  # a figure, or a table's frame
        assert drawn.axes if isinstance(drawn, Figure) else not drawn.empty
        plt.close("all")


def execute(notebook: Path, results_dir: Path, figures_dir: Path, tmp_path: Path, **parameters) -> str:
    out = tmp_path / notebook.name
    papermill.execute_notebook(str(notebook), str(out), kernel_name="python3", progress_bar=False,
                               parameters={"results_dir": str(results_dir), "figures_dir": str(figures_dir),
                                           **parameters})
    return outputs(json.loads(out.read_text()))


def outputs(notebook: dict) -> str:
    """Every text an executed notebook shows: printed text, Markdown, tables' plain text."""
    texts = []
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            for text in [output.get("text", "")] + [output.get("data", {}).get(k, "") for k in
                                                    ("text/markdown", "text/plain", "text/html")]:
                texts.append(text if isinstance(text, str) else "".join(text))
    return "\n".join(texts)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_are_committed_with_their_figures_and_refresh_to_the_same_bytes(notebook, tmp_path):
    committed = notebook.read_text()
    shown = json.loads(committed)
    assert "".join(shown["cells"][0]["source"]).count("**The paper:**") == 1  # opens with the claim ...
    assert "**Ours**" in "".join(shown["cells"][3]["outputs"][0]["data"]["text/markdown"])  # ... and our finding
    images = [o for c in shown["cells"] for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    # Fig. 7 draws each published source's nets (akamaster, wooyeolBaek) before ours.
    assert len(images) == {"table6": 0, "fig7_layer_responses": 3}.get(notebook.stem, 1)
    assert "0x7f" not in committed and "papermill" not in committed and '"execution"' not in committed
    copy = tmp_path / notebook.name
    copy.write_text(committed)
    notebooks.execute(copy, copy, {}, strip=True, cwd=notebook.parent)  # make notebooks-refresh, on a copy
    assert copy.read_text() == committed


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_without_data_names_the_sweep(notebook, tmp_path):
    output = execute(notebook, tmp_path / "empty", tmp_path / "figures", tmp_path)
    assert "does not exist; run `make" in output
    assert not (tmp_path / "figures" / f"{notebook.stem}.png").exists()


def test_make_figures_stops_on_a_missing_folder_with_the_notebooks_sentence(tmp_path):
    result = subprocess.run([sys.executable, "-m", "resnet_study.reports.notebooks", "--cifar", str(tmp_path / "none"),
                             "--figures", str(tmp_path / "figures"), "--out", str(tmp_path / "out")],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 2 and not (tmp_path / "out").exists()
    sentence = str(tables.MissingResults(f"{tmp_path / 'none'} does not exist; run `{tables.CIFAR_SWEEP}` and pass "
                                         f"its --out folder as results_dir"))
    assert sentence in result.stderr and "Traceback" not in result.stderr


def test_make_figures_writes_to_build_not_over_tracked_files(tmp_path):
    assert not (ROOT / "results" / "figures").exists()  # no shipped figures to mistake for the user's
    for line in (ROOT / "Makefile").read_text().splitlines():
        if line.startswith("FIGURES"):
            assert line.split("?=")[1].strip() == "build/figures"
    clean = nbformat.from_dict(json.loads(NOTEBOOKS[0].read_text()))
    clean.metadata["papermill"] = {"start_time": "now"}
    assert "papermill" not in notebooks.clean(clean).metadata


@pytest.fixture(scope="module")
def published_dir(cifar_dir, tmp_path_factory):
    """One akamaster-format ResNet-20 evaluated by ``resnet-study evaluate`` into ``published/resnet20``."""
    root = tmp_path_factory.mktemp("published")
    torch.manual_seed(0)
    weights = save_akamaster(trained_looking(create_model("cifar_resnet20", pad="both")), root / "resnet20.th")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["evaluate", "--model", "cifar_resnet20", "--weights", str(weights), "--data-dir", str(cifar_dir),
                     "--out", str(root / "published" / "resnet20"), "--device", "cpu"]) == 0
    return root / "published"


@pytest.mark.parametrize("stem", ["fig7_layer_responses", "table6"])
def test_notebooks_draw_published_weights_beside_our_runs(published_dir, stem, tmp_path):
    figures = tmp_path / "figures"
    output = execute(ROOT / "notebooks" / f"{stem}.ipynb", ROOT / "results" / "cifar_quick", figures, tmp_path,
                     published_dir=str(published_dir))
    evaluation = json.loads((published_dir / "resnet20" / "evaluation.json").read_text())
    if stem == "table6":
        assert "published weights (akamaster/pytorch_resnet_cifar10)" in output
        row = pd.read_csv(figures / "table6.csv", dtype=str).set_index("net").loc["ResNet-20"]
        column = f"published weights (akamaster/pytorch_resnet_cifar10) on {evaluation['split']} images (%)"
        assert row[column] == f"{100 * evaluation['error']:.2f}" and row.parameters == "0.27M"
    else:
        assert (figures / f"{stem}.png").stat().st_size > 5_000
    empty = tmp_path / "nothing"
    empty.mkdir()
    said = execute(ROOT / "notebooks" / f"{stem}.ipynb", ROOT / "results" / "cifar_quick", tmp_path / "f2", tmp_path,
                   published_dir=str(empty))
    assert "holds neither published.csv nor */evaluation.json" in said


def test_fig7_labels_published_weights_with_their_source(published_dir):
    responses = pd.read_csv(ROOT / "results" / "cifar_quick" / "responses.csv")
    _, published = tables.load_published(published_dir)
    fig = plots.layer_response_figure(responses, ["cifar_plain20", "cifar_resnet20"], sweep="-", published=published)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["plain-20", "ResNet-20", "ResNet-20, published weights (akamaster/pytorch_resnet_cifar10)"]
    assert len(fig.axes[0].lines) == 3


def test_table6_mean_and_std_over_seeds():
    runs = pd.DataFrame({"model": ["cifar_resnet110"] * 3, "status": ["done"] * 3,
                         "final_test_error": [0.064, 0.066, 0.068]})
    table = plots.table6_frame(runs, split="holdout")
    row = table.loc["ResNet-110"]
    assert row["ours: holdout error (%)"] == "6.60 ± 0.20" and row["our runs"] == 3
    assert row["paper test error (%)"] == "6.61 ± 0.16" and row.parameters == "1.70M"
    assert table.loc["ResNet-20", "ours: holdout error (%)"] == "—" and not table.isna().any().any()
