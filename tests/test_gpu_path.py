"""The CUDA path's speed contract (issue 24.5): no training step synchronises the host, eager or as
CUDA graphs (``--compile-mode reduce-overhead``), in every precision. GPU tests; the CPU checks
that the graph path asks for a CUDA device in one sentence."""

import pytest
import torch

from resnet_study.cli import main
from resnet_study.training.loop import Trainer

from helpers import QUIET, tiny_config

pytestmark = pytest.mark.usefixtures("quiet_warnings")


@pytest.mark.gpu
@pytest.mark.parametrize("precision,compile_mode", [("auto", None), ("fp16", None), ("fp32", None),
                                                    ("auto", "reduce-overhead")])  # one compilation: the check's cap
def test_no_training_step_synchronises_the_host(cifar_dir, tmp_path, precision, compile_mode):
    overrides = dict(compile=True, compile_mode=compile_mode) if compile_mode else {}
    trainer = Trainer(tiny_config(cifar_dir, device="cuda", precision=precision, **overrides), tmp_path, **QUIET)
    trainer.setup()
    for it in range(4):  # compilation, graph capture, cuDNN autotuning and the scaler's first scale happen here
        trainer.train_step(it)
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")  # any host sync inside a step raises
    try:
        for it in range(4, 9):
            trainer.train_step(it)
    finally:
        torch.cuda.set_sync_debug_mode(0)
    loss = trainer.metrics[0].item()
    assert loss == loss and loss > 0  # the steps trained: finite sums


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA GPU")
def test_cuda_graphs_without_cuda_are_one_sentence(cifar_dir, tmp_path, capsys):
    code = main(["train", "--model", "cifar_resnet8", "--data-dir", str(cifar_dir), "--out", str(tmp_path / "r"),
                 "--device", "cpu", "--iterations", "2", "--compile", "--compile-mode", "reduce-overhead"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "CUDA graphs" in err and "--device cuda" in err
