"""Layer responses (Fig. 7) and gradient norms against independent computations."""

import numpy as np
import pandas as pd
import pytest
import torch
import warnings

from resnet_study.training.probes import gradient_norms, layer_responses, response_layers
from resnet_study.cli import main
from helpers import tiny_config
from resnet_study.training.loop import train
from resnet_study.models import create_model


def independent_responses(model, images):
    """Recompute each BN output by calling the modules by hand, no hooks."""
    stds = []
    for conv_name, bn in response_layers(model):
        captured = []
        conv = dict(model.named_modules())[conv_name]
        handle = conv.register_forward_hook(lambda m, i, o: captured.append(o.detach().clone()))
        with torch.no_grad():
            model(images)
        handle.remove()
        with torch.no_grad():
            out = torch.cat([bn(c) for c in captured]).double()
        stds.append(out.std(unbiased=False).item())
    return stds


@pytest.mark.parametrize("name", ["cifar_plain20", "cifar_resnet20", "resnet18"])
def test_layer_responses_match_an_independent_computation(name):
    torch.manual_seed(0)
    model = create_model(name).eval()
    for m in model.modules():  # non-trivial BN statistics, as a trained net has
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
    size = 32 if name.startswith("cifar") else 64
    images = torch.randn(37, 3, size, size)
    frame = layer_responses(model, images, batch_size=16)
    expected = independent_responses(model, images)
    assert frame.layer.tolist() == list(range(1, len(expected) + 1))
    np.testing.assert_allclose(frame["std"].to_numpy(), expected, rtol=1e-4, atol=0)


def test_response_layers_are_the_3x3_convs_in_forward_order():
    names = [n for n, _ in response_layers(create_model("cifar_resnet20"))]
    assert len(names) == 19 and names[0] == "conv1" and names[1:3] == ["layer1.0.conv1", "layer1.0.conv2"]
    names = [n for n, _ in response_layers(create_model("resnet50"))]
    assert len(names) == 16 and all(n.endswith("conv2") for n in names)  # one 3x3 per bottleneck


def test_in_place_addition_would_not_change_what_the_hook_saw():
    model = create_model("cifar_resnet20").eval()
    x = torch.randn(8, 3, 32, 32)
    first = layer_responses(model, x)
    second = layer_responses(model, [x[:3], x[3:]])  # an iterable of batches too
    np.testing.assert_allclose(first["std"].to_numpy(), second["std"].to_numpy(), rtol=1e-9)


def test_gradient_norms_are_per_conv_layer():
    model = create_model("cifar_plain20")
    model(torch.randn(4, 3, 32, 32)).sum().backward()
    norms = gradient_norms(model)
    assert norms.shape == (19,) and torch.all(norms > 0)
    torch.testing.assert_close(norms[0], model.conv1.weight.grad.norm())


def test_runs_write_responses_and_gradients(cifar_dir, tmp_path, capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cfg = tiny_config(cifar_dir, model="cifar_plain8", iterations=10, log_every=5, eval_every=5, milestones=(8,))
        train(cfg, tmp_path, progress=False, log=lambda *_: None)
    responses = pd.read_csv(tmp_path / "responses.csv")
    assert responses.layer.tolist() == list(range(1, 8)) and (responses["std"] > 0).all()
    gradients = pd.read_csv(tmp_path / "gradients.csv")
    assert sorted(gradients.iteration.unique()) == [0, 5, 10] and len(gradients) == 3 * 7
    computed = pd.read_csv(tmp_path / "responses.csv")
    assert main(["responses", "--run", str(tmp_path), "--device", "cpu"]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "responses.csv"), computed, rtol=1e-5)


def test_responses_of_a_non_run_is_one_sentence(tmp_path, capsys):
    assert main(["responses", "--run", str(tmp_path)]) == 2
    assert "is not a run folder" in capsys.readouterr().err
