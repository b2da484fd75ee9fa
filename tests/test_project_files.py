"""LICENSE, CITATION.cff and pyproject.toml agree: licence, version, repository, and credit for every
source of published weights."""

from pathlib import Path

import pytest
import yaml

import resnet_study
from resnet_study.models import list_weights

ROOT = Path(__file__).resolve().parents[1]
REPOSITORY = "https://github.com/resnet-study/resnet-study"


@pytest.fixture(scope="module")
def project() -> dict:
    from setuptools.config.pyprojecttoml import read_configuration  # validates the table as a build would

    return read_configuration(ROOT / "pyproject.toml")["project"]


@pytest.fixture(scope="module")
def citation() -> dict:
    return yaml.safe_load((ROOT / "CITATION.cff").read_text())


def test_license_file_is_the_mit_licence_pyproject_declares(project):
    text = (ROOT / "LICENSE").read_text()
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]
    assert text.startswith("MIT License\n\nCopyright (c) ") and "resnet-study contributors" in text.splitlines()[2]
    assert "Permission is hereby granted, free of charge" in text and 'THE SOFTWARE IS PROVIDED "AS IS"' in text


def test_citation_names_the_suite_its_version_licence_and_repository(project, citation):
    assert citation["cff-version"] == "1.2.0" and citation["type"] == "software"
    assert citation["version"] == project["version"] == resnet_study.__version__
    assert citation["license"] == project["license"]
    assert citation["repository-code"] == project["urls"]["Repository"] == REPOSITORY
    assert citation["authors"] == [{"name": "resnet-study contributors"}]
    for key in ("message", "title"):
        assert "He et al. (2015)" in citation[key]


def test_citation_points_to_the_paper_and_credits_every_weights_source(citation):
    paper, *software = citation["references"]
    assert paper["title"] == "Deep Residual Learning for Image Recognition" and paper["year"] == 2015
    assert [a["family-names"] for a in paper["authors"]] == ["He", "Zhang", "Ren", "Sun"]
    assert "1512.03385" in paper["url"]
    credited = {ref["repository-code"]: ref for ref in software}
    readme = (ROOT / "README.md").read_text()
    for entry in list_weights():  # every tag's repository is credited, with the commit its table names
        ref = credited[f"https://github.com/{entry.repository}"]
        assert ref["commit"] == entry.commit and entry.tag in ref["notes"]
        assert entry.repository in readme and entry.tag in readme
