"""notebooks/colab_quickstart.ipynb: committed without outputs, installs the package without pinning
torch, and runs end to end on the CPU (papermill, a tiny schedule on the shared CIFAR-10 subset):
it states the time it expects before training, trains plain-20 and plain-56, and draws Fig. 1."""

import json
from pathlib import Path

import pandas as pd
import papermill
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "colab_quickstart.ipynb"
SUBSET = ROOT.parent / "shared" / "data" / "cifar10-subset"
COLAB = "https://colab.research.google.com/github/resnet-study/resnet-study/blob/main/notebooks/colab_quickstart.ipynb"
PARAMETERS = {"preset", "iterations", "twins", "budget_hours", "data_dir", "out", "install", "bench_steps",
              "bench_warmup", "extra_flags"}


def sources(notebook: dict) -> list[str]:
    return ["".join(cell["source"]) for cell in notebook["cells"]]


def test_committed_without_outputs_with_papermill_parameters_and_a_readme_badge():
    notebook = json.loads(NOTEBOOK.read_text())
    code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in code)
    tagged = [c for c in code if "parameters" in c["metadata"].get("tags", [])]
    assert len(tagged) == 1 and tagged[0] is code[0]
    names = {line.split("=")[0].strip() for line in "".join(tagged[0]["source"]).splitlines() if "=" in line}
    assert names == PARAMETERS
    install = next(s for s in sources(notebook) if "\"pip\", \"install\"" in s)
    assert "git+https://github.com/resnet-study/resnet-study" in install  # Colab's own torch is kept:
    assert "torch" not in install.split("import")[0] and "constraints" not in install and "==" not in install
    readme = (ROOT / "README.md").read_text()
    assert f"[![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)]({COLAB})" in readme
    assert COLAB in sources(notebook)[0]


@pytest.mark.skipif(not SUBSET.is_dir(), reason="../shared/data/cifar10-subset is not beside the checkout")
def test_runs_end_to_end_on_the_cpu_and_states_its_time_first(tmp_path):
    out = tmp_path / "sweep"
    papermill.execute_notebook(
        str(NOTEBOOK), str(tmp_path / "run.ipynb"), kernel_name="python3", progress_bar=False, cwd=str(tmp_path),
        parameters=dict(preset="quick", iterations=2, twins="auto", budget_hours=0.0, data_dir=str(SUBSET),
                        out=str(out), install=False, bench_steps=1, bench_warmup=0,
                        extra_flags="--batch-size 8 --holdout 64 --precision fp32"))  # fp32: no bf16 JIT warm-up
    shown = []  # (cell index, text) of every output, in order
    for index, cell in enumerate(json.loads((tmp_path / "run.ipynb").read_text())["cells"]):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            text = output.get("text") or data.get("text/markdown") or data.get("text/plain") or ""
            shown.append((index, "".join(text), "image/png" in data))
    said = next(i for i, (_, text, _) in enumerate(shown) if text.startswith("**Expect about "))
    trained = next(i for i, (_, text, _) in enumerate(shown) if text.startswith("$ resnet-study sweep"))
    assert said < trained and "on cpu" in shown[said][1] and "in fp32" in shown[said][1]
    assert "The ResNet twins would double that" in shown[said][1]  # budget 0: the plain nets only
    assert sum(image for _, _, image in shown) == 1 and "Fig. 1" in "".join(text for _, text, _ in shown)
    runs = pd.read_csv(out / "runs.csv")
    assert sorted(runs.model) == ["cifar_plain20", "cifar_plain56"]
    assert (runs.status == "done").all() and (runs.iterations == 2).all()
    assert json.loads((out / "bench.json").read_text())["model"] == "cifar_plain56"
