"""Notebooks redraw the paper's figures from results/ tables; the deck is built from them."""

import json
import warnings
from pathlib import Path

import pandas as pd
import papermill
import pytest
import torch

from resnet_study import plots
from resnet_study.cli import main
from resnet_study.models import create_model
from resnet_study.slides import build

from helpers import save_akamaster, trained_looking

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
CIFAR, IMAGENET = ROOT / "results" / "cifar_study", ROOT / "results" / "imagenette_study"
RESULTS = {"fig4_imagenet_18_34": IMAGENET}


def execute(notebook: Path, results_dir: Path, figures_dir: Path, tmp_path: Path, **parameters) -> str:
    out = tmp_path / notebook.name
    papermill.execute_notebook(str(notebook), str(out), kernel_name="python3", progress_bar=False,
                               parameters={"results_dir": str(results_dir), "figures_dir": str(figures_dir),
                                           **parameters})
    cells = json.loads(out.read_text())["cells"]
    return "".join(o.get("text", "") if isinstance(o.get("text", ""), str) else "".join(o["text"])
                   for c in cells if c["cell_type"] == "code" for o in c.get("outputs", []))


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_renders_from_committed_results(notebook, tmp_path):
    results = RESULTS.get(notebook.stem, CIFAR)
    figures = tmp_path / "figures"
    output = execute(notebook, results, figures, tmp_path)
    assert "does not exist" not in output, output
    if notebook.stem == "table6":
        table = pd.read_csv(figures / "table6.csv")
        assert table.paper_error.tolist() == [8.75, 7.51, 7.17, 6.97, 6.43, 7.93]
    else:
        for suffix in (".png", ".pdf"):
            assert (figures / f"{notebook.stem}{suffix}").stat().st_size > 5_000


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_without_data_names_the_sweep(notebook, tmp_path):
    output = execute(notebook, tmp_path / "empty", tmp_path / "figures", tmp_path)
    assert "does not exist; run `make" in output
    assert not (tmp_path / "figures" / f"{notebook.stem}.png").exists()


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
        row = pd.read_csv(figures / "table6.csv").set_index("model").loc["cifar_resnet20"]
        assert row.published_weights == pytest.approx(100 * evaluation["error"]) and row.published_on == "test"
    else:
        assert (figures / f"{stem}.png").stat().st_size > 5_000
    empty = tmp_path / "nothing"
    empty.mkdir()
    assert "holds no */evaluation.json" in execute(ROOT / "notebooks" / f"{stem}.ipynb", ROOT / "results" / "cifar_quick",
                                                   tmp_path / "f2", tmp_path, published_dir=str(empty))


def test_fig7_labels_published_weights_with_their_source(published_dir):
    responses = pd.read_csv(ROOT / "results" / "cifar_quick" / "responses.csv")
    _, published = plots.load_published(published_dir)
    fig = plots.layer_response_figure(responses, ["cifar_plain20", "cifar_resnet20"], sweep="-", published=published)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["plain-20", "ResNet-20", "ResNet-20, published weights (akamaster/pytorch_resnet_cifar10)"]
    assert len(fig.axes[0].lines) == 3


def test_table6_mean_and_std_over_seeds():
    runs = pd.DataFrame({"model": ["cifar_resnet110"] * 3, "status": ["done"] * 3,
                         "final_test_error": [0.064, 0.066, 0.068]})
    row = plots.table6(runs).set_index("model").loc["cifar_resnet110"]
    assert row.ours == "6.60 ± 0.20" and row.runs == 3 and row.paper_mean_std == "6.61 ± 0.16"


def test_slides_build_from_committed_figures(tmp_path):
    figures = tmp_path / "figures"
    for notebook in NOTEBOOKS:
        execute(notebook, RESULTS.get(notebook.stem, CIFAR), figures, tmp_path)
    out = tmp_path / "deck.pdf"
    count = build(figures, CIFAR, IMAGENET, out)
    assert count == 8 and out.read_bytes().startswith(b"%PDF")  # title, Fig. 2, 1, tables, 6, 4, 7, takeaways
