"""``make gpu-check`` (issue 19): on a machine without CUDA it says so in one sentence and fails."""

import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
no_cuda = pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA GPU")


@no_cuda
def test_gpu_check_without_cuda_is_one_sentence_and_fails(tmp_path):
    done = subprocess.run([sys.executable, "scripts/gpu_check.py", "--out", str(tmp_path / "bench")],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        f"gpu-check: this machine has no CUDA GPU (torch {torch.__version__} sees none); run make gpu-check on "
        f"a machine with one"]
    assert not (tmp_path / "bench").exists()


@no_cuda
def test_make_gpu_check_fails_on_this_machine(tmp_path):
    done = subprocess.run(["make", "-s", "gpu-check", f"PYTHON={sys.executable}", f"GPU_OUT={tmp_path}"],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode != 0
    assert done.stderr.count("this machine has no CUDA GPU") == 1


def test_gpu_check_runs_every_file_with_gpu_tests():
    import importlib.util

    spec = importlib.util.spec_from_file_location("gpu_check", ROOT / "scripts" / "gpu_check.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    marked = sorted(f"tests/{p.name}" for p in (ROOT / "tests").glob("test_*.py")
                    if "@pytest.mark.gpu\n" in p.read_text())
    assert sorted(script.GPU_TEST_FILES) == marked
