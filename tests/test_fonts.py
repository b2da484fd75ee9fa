"""The Korean deck's font: one installed after matplotlib's first use is found (its font cache is
rebuilt), and the command says that the cache was the cause."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import make_font

ROOT = Path(__file__).resolve().parents[1]
PROBE = "from resnet_study.reports import pdf_deck; print(pdf_deck.hangul_font(), *pdf_deck.FONT_NOTES, sep='\\n')"


def test_a_hangul_font_installed_after_first_use_is_found(tmp_path):
    env = dict(os.environ, HOME=str(tmp_path / "home"), XDG_DATA_HOME=str(tmp_path / "share"),
               XDG_CACHE_HOME=str(tmp_path / "cache"), MPLCONFIGDIR=str(tmp_path / "matplotlib"))

    def probe() -> list[str]:
        result = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, cwd=ROOT,
                                timeout=300)
        assert result.returncode == 0, result.stderr[-2000:]
        return result.stdout.splitlines()

    first = probe()  # matplotlib's first use: its font cache is made without the font
    if first[0] != "None":
        pytest.skip(f"this machine has a Hangul font already ({first[0]})")
    assert "has none with Hangul, so the cache is not the cause" in first[1]
    cache = next((tmp_path / "matplotlib").glob("fontlist-v*.json"))
    make_font(tmp_path / "share" / "fonts" / "NanumGothic.ttf")  # the student installs a font
    found, note = probe()
    assert found == "NanumGothic"
    assert note == f"matplotlib's font cache {cache} predated the font NanumGothic; rebuilt it"
    assert probe() == ["NanumGothic"]  # the rebuilt cache lists it: no second rebuild
