"""The words of the deck's story (title, dividers, takeaways, appendix, notes), one table per
language; each analysis's own pages' words sit in its module (``reports/analyses/*.py``,
``STRINGS``), and ``registry.words`` puts them together. Numbers, model names and figures are the
same in all languages. Korean follows the terms Korean study groups use for this paper (잔차 학습,
성능 저하 문제, plain 네트워크, shortcut, identity mapping, 층, 학습 에러, 과적합, ...).

A new language is a new dict with the same keys, here and in every analysis's ``STRINGS``
(``tests/test_slides.py`` and ``tests/test_registry.py`` check that).
"""

from __future__ import annotations

EN = {
    "title.title": "Deep residual learning: deeper plain nets train worse, shortcuts fix it",
    "title.lines": ["He, Zhang, Ren, Sun (2015): Deep Residual Learning for Image Recognition",
                    "Every figure redrawn from our own runs and from published nets (resnet-study)"],
    "axes.curves": "Dashed: training error · bold: {split} error · x: iterations · y: %",
    "axes.responses": "Std of each 3×3 layer's output · left: by layer, right: sorted · dashed: plain",
    "data": "{dataset}: {images} training images, {epochs} epochs, {seeds} seed(s)",
    "why.title": "Why do shortcuts help?",
    "takeaways.title": "Takeaways",
    "takeaways.plain": "Deeper plain nets trained worse: {shallow} → {deep} training error (20 → 56 layers)",
    "takeaways.resnet": "Shortcuts fixed it: {resnet} {r} vs {plain} {p}",
    "takeaways.published": "Fully trained, deeper ResNets are better: {a} → {b} test error",
    "takeaways.imagenet": "ImageNet subset: plain-34 {deep} vs plain-18 {shallow} training error",
    "appendix.title": "Appendix: how every number was made",
    "appendix.figure": "{figure}: {tables}",
    "appendix.made": "    {provenance}",
    "appendix.provenance": "{dataset}, {epochs} epochs ({iterations} iterations), {seeds} seed(s), {device}, "
                           "torch {torch}, commit {commit}",
    "appendix.published": "    published checkpoints evaluated by `resnet-study evaluate`; their images: {split}",
    "appendix.missing": "{figure}: left out, {path} does not exist",
    "appendix.paper": "Paper numbers: He et al. 2015, Tables 2 and 6 (resnet_study/paper.py)",
    "claims.title": "Appendix: the paper's claims beside our tables",
    "claims.columns": ["the paper", "ours", "verdict"],
    "verdict": {True: "agrees", False: "differs", None: "not measured"},
    "claims": {},  # each analysis adds its own (reports/analyses/)
    "notes.paper": "Paper: {claim}",
    "notes.ours": "Ours: {values} ({verdict})",
    "notes.data": "Data: {provenance}",
    "notes.tables": "Tables: {tables}",
    "missing_font": "The Korean PDF needs a font with Hangul; install one, e.g. `apt-get install fonts-noto-cjk` "
                    "or `pip install koreanize-matplotlib` (the PPTX was written and needs none).",
}

KO = {
    "title.title": "잔차 학습: plain 네트워크의 성능 저하 문제와 shortcut의 해법",
    "title.lines": ["He, Zhang, Ren, Sun (2015): Deep Residual Learning for Image Recognition",
                    "모든 그림은 우리가 직접 학습한 결과와 공개된 네트워크로 다시 그렸습니다 (resnet-study)"],
    "axes.curves": "점선: 학습 에러 · 굵은 선: {split} 에러 · x: iteration · y: %",
    "axes.responses": "각 3×3 층 출력의 표준편차 · 왼쪽: 층 순서, 오른쪽: 크기순 · 점선: plain",
    "data": "{dataset}: 학습 이미지 {images}장, {epochs} 에폭, seed {seeds}개",
    "why.title": "shortcut은 왜 도움이 될까?",
    "takeaways.title": "정리",
    "takeaways.plain": "깊은 plain 네트워크는 더 못 배웠다: 학습 에러 {shallow} → {deep} (20층 → 56층)",
    "takeaways.resnet": "shortcut이 해결했다: {resnet} {r} vs {plain} {p}",
    "takeaways.published": "끝까지 학습하면 깊은 ResNet이 더 좋다: test error {a} → {b}",
    "takeaways.imagenet": "ImageNet subset: 학습 에러 plain-34 {deep} vs plain-18 {shallow}",
    "appendix.title": "부록: 모든 숫자를 만든 방법",
    "appendix.figure": "{figure}: {tables}",
    "appendix.made": "    {provenance}",
    "appendix.provenance": "{dataset}, {epochs} 에폭 ({iterations} iteration), seed {seeds}개, {device}, "
                           "torch {torch}, commit {commit}",
    "appendix.published": "    공개 체크포인트를 `resnet-study evaluate`로 평가; 사용한 이미지: {split}",
    "appendix.missing": "{figure}: 제외됨, {path}가 없음",
    "appendix.paper": "논문 숫자: He et al. 2015, 표 2와 표 6 (resnet_study/paper.py)",
    "claims.title": "부록: 논문의 주장과 우리 표",
    "claims.columns": ["논문", "우리", "판정"],
    "verdict": {True: "일치", False: "다름", None: "측정 안 함"},
    "claims": {},  # each analysis adds its own (reports/analyses/)
    "notes.paper": "논문: {claim}",
    "notes.ours": "우리: {values} ({verdict})",
    "notes.data": "데이터: {provenance}",
    "notes.tables": "표: {tables}",
    "missing_font": "The Korean PDF needs a font with Hangul; install one, e.g. `apt-get install fonts-noto-cjk` "
                    "or `pip install koreanize-matplotlib` (the PPTX was written and needs none).",
}

SPLITS = {"en": {"test": "test", "holdout": "holdout", "validation": "validation", "train": "training"},
          "ko": {"test": "test", "holdout": "holdout", "validation": "validation", "train": "학습"}}

LANGUAGES = {"en": EN, "ko": KO}


def strings(language: str) -> dict:
    """The table of strings for ``language`` ("en" or "ko"); ``KeyError`` names the others."""
    if language not in LANGUAGES:
        raise KeyError(f"no strings for language {language!r}; have {', '.join(LANGUAGES)}")
    return {**LANGUAGES[language], "splits": SPLITS[language]}
