"""hubconf.py through torch.hub itself (``source="local"``, the checkout as the repository): one entry
per net of the registry, published nets from torch.hub's cache that evaluate exactly as
``create_model`` does, untrained nets equal to ``create_model``'s, bad tags in one sentence."""

import importlib.util
import shutil
from pathlib import Path

import pytest
import torch

from resnet_study.errors import StudyError
from resnet_study.models import create_model, list_models, list_weights

ROOT = Path(__file__).resolve().parents[1]
PUBLISHED = ROOT.parent / "shared" / "published"


def hub_load(model: str, *args, **kwargs):
    return torch.hub.load(str(ROOT), model, *args, source="local", **kwargs)


@pytest.fixture(scope="module")
def hubconf():
    spec = importlib.util.spec_from_file_location("hubconf_under_test", ROOT / "hubconf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def hub_cache(tmp_path, monkeypatch) -> Path:
    """An empty torch.hub cache of this test's own (TORCH_HOME), never the user's."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    checkpoints = tmp_path / "torch" / "hub" / "checkpoints"
    checkpoints.mkdir(parents=True)
    return checkpoints


def test_one_entry_per_registered_net_and_each_lists_its_tags(hubconf):
    # what torch.hub.list shows: the module's public callables
    entries = {name for name in dir(hubconf) if callable(getattr(hubconf, name)) and not name.startswith("_")}
    assert entries == {*list_models(), "create_model"} and hubconf.dependencies == ["torch"]
    assert {"cifar_plain56", "cifar_resnet1202", "resnet152", "plain18"} <= entries
    for entry in list_weights():
        assert f"weights={entry.tag!r}: {entry.repository}" in getattr(hubconf, entry.model).__doc__
    assert "no published weights" in hubconf.resnet50.__doc__


@pytest.mark.parametrize("model, tag, folder", [
    ("cifar_plain56", "wooyeolbaek", "wooyeolbaek/plainnet56_A_230623_000836/last.pth"),
    ("cifar_resnet20", "akamaster", "akamaster/resnet20-12fca82f.th"),
])
def test_published_net_evaluates_exactly_as_create_model(hub_cache, model, tag, folder):
    if not (PUBLISHED / folder).is_file():
        pytest.skip("../shared/published is not beside the checkout")
    entry = list_weights(model, tag=tag)[0]
    shutil.copy(PUBLISHED / folder, hub_cache / entry.file_name)  # torch.hub's cache, as a download leaves it
    ours = create_model(model, weights=tag, download=False).eval()
    hubs = hub_load(model, weights=tag.upper() if tag == "akamaster" else tag, download=False).eval()
    assert type(hubs) is type(ours)
    assert all(torch.equal(a, b) for a, b in zip(ours.state_dict().values(), hubs.state_dict().values(), strict=True))
    x = torch.randn(16, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert torch.equal(hubs(x), ours(x))


def test_untrained_nets_equal_create_model_under_one_seed():
    for name, kwargs in (("cifar_plain20", {}), ("resnet18", {"shortcut": "A"})):
        torch.manual_seed(0)
        ours = create_model(name, **kwargs)
        torch.manual_seed(0)
        hubs = hub_load(name, **kwargs)
        assert all(torch.equal(a, b) for a, b in zip(ours.state_dict().values(), hubs.state_dict().values(),
                                                     strict=True))
    assert sum(p.numel() for p in hub_load("create_model", "cifar_plain14").parameters()) == \
        sum(p.numel() for p in create_model("cifar_plain14").parameters())


@pytest.mark.parametrize("model, weights, sentence", [
    ("cifar_plain56", "akamaster", "'akamaster' is no published tag of cifar_plain56; its tags are wooyeolbaek, and "
                                   "weights=None gives an untrained net"),
    ("cifar_resnet56", "timm", "'timm' is no published tag of cifar_resnet56; its tags are akamaster, wooyeolbaek, "
                               "and weights=None gives an untrained net"),
    ("resnet50", "imagenet", "no published weights of resnet50 are known, so weights='imagenet' cannot load; "
                             "weights=None gives an untrained resnet50, and create_model('resnet50', weights=PATH) "
                             "loads a file"),
])
def test_a_bad_tag_is_one_sentence(hub_cache, model, weights, sentence):
    with pytest.raises(StudyError) as refused:
        hub_load(model, weights=weights)
    assert str(refused.value) == sentence and "\n" not in sentence
    assert not any(hub_cache.iterdir())  # refused before any download
