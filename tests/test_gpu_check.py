"""``make gpu-check`` (issue 19): on a machine without CUDA it says so in one sentence and fails."""

import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA GPU")


def test_gpu_check_without_cuda_is_one_sentence_and_fails(tmp_path):
    done = subprocess.run([sys.executable, "scripts/gpu_check.py", "--out", str(tmp_path / "bench")],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        f"gpu-check: this machine has no CUDA GPU (torch {torch.__version__} sees none); run make gpu-check on "
        f"a machine with one"]
    assert not (tmp_path / "bench").exists()


def test_make_gpu_check_fails_on_this_machine(tmp_path):
    done = subprocess.run(["make", "-s", "gpu-check", f"PYTHON={sys.executable}", f"GPU_OUT={tmp_path}"],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode != 0
    assert done.stderr.count("this machine has no CUDA GPU") == 1
