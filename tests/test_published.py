"""Published weights by tag: the tables, torch.hub's cache and its hash check, the real files of
../shared/published by tag and by path, and their error on the shared subset (training images)."""

import dataclasses
import json
import re
import shutil
import warnings
from pathlib import Path

import pytest
import torch

from resnet_study.data import load_cifar10
from resnet_study.errors import StudyError
from resnet_study.models import cache_path, create_model, fetch, list_models, list_weights, load_weights, sha256
from resnet_study.models.layouts import LAYOUTS

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
PUBLISHED = SHARED / "published"
needs_shared_published = pytest.mark.skipif(not PUBLISHED.is_dir(),
                                            reason="../shared/published is not beside the checkout")


def shared_file(entry) -> Path:
    """Where ../shared/published keeps ``entry``'s file (it keeps their own names)."""
    if entry.tag == "akamaster":
        return PUBLISHED / "akamaster" / entry.file_name
    return PUBLISHED / "wooyeolbaek" / entry.url.split("/")[-2] / "last.pth"


SHARED_ENTRIES = [e for e in list_weights() if shared_file(e).is_file()]


@pytest.fixture
def hub(tmp_path, monkeypatch):
    """An empty torch.hub cache of this test's own (TORCH_HOME), never the user's."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    return tmp_path / "torch" / "hub" / "checkpoints"


def test_tables_give_every_field_and_a_registered_net():
    entries = list_weights()
    assert {e.tag for e in entries} == {"akamaster", "wooyeolbaek"}
    assert len({e.file_name for e in entries}) == len(entries)  # wooyeolBaek's files are all last.pth
    for e in entries:
        assert e.model in list_models() and e.layout in LAYOUTS and e.url.startswith("https://github.com/")
        assert re.fullmatch(r"[0-9a-f]*", e.sha256) and e.file_name.endswith((".th", ".pth"))
        assert e.normalize in ("imagenet", "pixel") and len(e.std) == 3 and e.license and e.recipe
    plain = [e.model for e in list_weights("cifar_plain*")]
    assert plain == ["cifar_plain20", "cifar_plain32", "cifar_plain44", "cifar_plain56"]
    assert [e.stated_error for e in list_weights("cifar_plain*")] == [9.74, 10.41, 11.73, 11.86]
    with pytest.raises(StudyError, match="^unknown weights tag 'timm'; tags are akamaster, wooyeolbaek$"):
        list_weights(tag="timm")


def test_a_net_a_source_does_not_publish_is_one_sentence(hub):
    with pytest.raises(StudyError, match=r"^akamaster publishes no cifar_plain56; its nets are cifar_resnet20, .*"):
        create_model("cifar_plain56", weights="akamaster")


def test_missing_file_offline_names_the_url_and_the_cache_path(hub):
    entry = list_weights("cifar_plain56", tag="wooyeolbaek")[0]
    with pytest.raises(StudyError) as refused:
        create_model("cifar_plain56", weights="wooyeolbaek", download=False)
    assert str(refused.value) == (f"cifar_plain56.wooyeolbaek is not in torch.hub's cache; download {entry.url} to "
                                  f"{hub / entry.file_name}")


def test_failed_download_names_the_url_and_the_cache_path(hub, monkeypatch):
    from urllib.error import URLError

    def offline(url, dst, **kwargs):
        raise URLError("Temporary failure in name resolution")

    monkeypatch.setattr(torch.hub, "download_url_to_file", offline)
    entry = list_weights("cifar_resnet110", tag="akamaster")[0]
    expected = (rf"^cifar_resnet110.akamaster is not in torch.hub's cache and {entry.url} could not be downloaded "
                rf"\(Temporary failure in name resolution\); download it by hand to {hub / entry.file_name}$")
    with pytest.raises(StudyError, match=expected):
        create_model("cifar_resnet110", weights="akamaster")


@needs_shared_published
def test_download_goes_into_the_cache_and_checks_the_hash(hub, tmp_path):
    entry = list_weights("cifar_resnet20", tag="akamaster")[0]
    local = dataclasses.replace(entry, url=shared_file(entry).as_uri())  # file:// stands in for GitHub
    assert fetch(local) == hub / entry.file_name and sha256(hub / entry.file_name) == entry.sha256
    (hub / entry.file_name).unlink()
    with pytest.raises(StudyError,
                       match=r"^the download of file://.* does not match cifar_resnet20.akamaster's sha256"):
        fetch(dataclasses.replace(local, sha256="0" * 64))
    assert not (hub / entry.file_name).exists()


@needs_shared_published
def test_a_changed_cached_file_is_refused(hub):
    entry = list_weights("cifar_resnet20", tag="akamaster")[0]
    hub.mkdir(parents=True)
    (hub / entry.file_name).write_bytes(shared_file(entry).read_bytes()[:-1] + b"x")
    with pytest.raises(StudyError, match=rf"^{hub / entry.file_name} has sha256 .* but cifar_resnet20.akamaster is "
                                         rf"12fca82f0bebc413...; delete it and download {entry.url} again$"):
        create_model("cifar_resnet20", weights="akamaster", download=False)


@needs_shared_published
@pytest.mark.parametrize("entry", SHARED_ENTRIES, ids=lambda e: e.name)
def test_every_shared_file_loads_by_tag_from_the_cache_and_by_path(hub, entry):
    hub.mkdir(parents=True)
    shutil.copy(shared_file(entry), hub / entry.file_name)
    assert cache_path(entry) == hub / entry.file_name
    by_tag, checkpoint = load_weights(entry.model, entry.tag, download=False)
    by_path, matched = load_weights(entry.model, shared_file(entry))
    assert checkpoint.entry == entry and checkpoint.layout == matched.layout == entry.layout
    assert checkpoint.normalize == matched.normalize == entry.normalize
    for key, value in by_tag.state_dict().items():
        torch.testing.assert_close(value, by_path.state_dict()[key], rtol=0, atol=0)


@pytest.fixture(scope="module")
def subset():
    from helpers import SHARED_CIFAR

    if not (SHARED_CIFAR / "cifar-10-batches-py").is_dir():
        pytest.skip("../shared/data/cifar10-subset is not beside the checkout")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_cifar10(SHARED_CIFAR, allow_download=False).train


@needs_shared_published
@pytest.mark.parametrize("entry", SHARED_ENTRIES, ids=lambda e: e.name)
def test_each_published_net_has_under_5_percent_error_on_its_training_images(subset, entry):
    """The subset's images are training images of these nets: this checks the loading, not the nets."""
    model, checkpoint = load_weights(entry.model, shared_file(entry))
    images = torch.from_numpy(subset.images[:500]).float() / 255
    labels = torch.from_numpy(subset.labels[:500])
    mean = (checkpoint.mean if checkpoint.mean is not None
            else torch.from_numpy(subset.images).double().div(255).mean(0).float())
    with torch.no_grad():
        error = (model.eval()((images - mean) / checkpoint.std).argmax(1) != labels).double().mean().item()
    assert error < 0.05, f"{entry.name}: {100 * error:.1f}% error on 500 training images"


@needs_shared_published
def test_evaluate_published_writes_one_folder_of_tables_and_says_the_images_are_training_images(
        hub, cifar_dir_no_test, tmp_path, capsys):
    import pandas as pd

    from resnet_study.cli import main

    chosen = [e for e in SHARED_ENTRIES if e.model == "cifar_resnet20" or e.model == "cifar_plain20"]
    hub.mkdir(parents=True)
    for entry in chosen:
        shutil.copy(shared_file(entry), hub / entry.file_name)
    assert main(["weights"]) == 0
    listed = capsys.readouterr().out
    assert "cifar_plain56 wooyeolbaek" in listed and str(hub / "wooyeolbaek-plainnet20_A") in listed
    out = tmp_path / "published"
    assert main(["evaluate", "--published", "all", "--data-dir", str(cifar_dir_no_test), "--out", str(out),
                 "--device", "cpu"]) == 0
    printed = capsys.readouterr().out
    assert "these errors are TRAINING errors of these nets, not test errors" in printed
    assert "skipped cifar_plain56.wooyeolbaek: not in torch.hub's cache; download https://" in printed
    published = pd.read_csv(out / "published.csv")
    assert list(published.columns[:9]) == ["source", "tag", "net", "depth", "residual", "images", "error", "split",
                                           "stated_error"]
    assert sorted(published.net) == ["cifar_plain20", "cifar_resnet20", "cifar_resnet20"]
    assert set(published.split) == {"train"} and set(published.images) == {320}
    assert published.set_index(["tag", "net"]).stated_error["wooyeolbaek", "cifar_plain20"] == pytest.approx(0.0974)
    responses = pd.read_csv(out / "responses.csv")
    assert len(responses) == 3 * 19 and set(responses.tag) == {"akamaster", "wooyeolbaek"}
    result = json.loads((out / "cifar_plain20.wooyeolbaek" / "evaluation.json").read_text())
    assert result["normalize"] == "pixel" and "statistics of the folder's 320 training images" in \
        result["normalize_statistics"] and result["layout"] == "wooyeolbaek"
    assert main(["evaluate", "--published", "timm", "--data-dir", str(cifar_dir_no_test), "--out", str(out)]) == 2
