"""The documents a user gets are self-contained.

Every tracked file cites the package's own documents (``docs/model.md``,
``docs/calibration.md``), never a specification outside the repository, and every
relative link in ``README.md`` and ``docs/*.md`` points at an existing file and,
for a Markdown target, an existing heading.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]

# Written as patterns, so that this file does not match itself.
_OUTSIDE = re.compile(r"\.\./shared|\bMODEL\.md|\bCALIBRATION\.md")
_FENCE = re.compile(r"^(```|~~~)")
_LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def _tracked_files() -> list[Path]:
    git = shutil.which("git")
    if git is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    out = subprocess.run(
        [git, "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode("utf-8")
    return [ROOT / name for name in out.split("\0") if name]


def _markdown_documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _prose_lines(text: str) -> list[str]:
    """The lines of a Markdown text outside fenced code blocks."""
    lines, fenced = [], False
    for line in text.splitlines():
        if _FENCE.match(line.lstrip()):
            fenced = not fenced
            continue
        if not fenced:
            lines.append(line)
    return lines


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to '-'."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link keeps its text
    text = re.sub(r"[^\w\- ]", "", text.strip().lower())
    return text.replace(" ", "-")


def anchors(text: str) -> set[str]:
    """Every heading anchor of a Markdown text (repeated headings get -1, -2, ...)."""
    seen: dict[str, int] = {}
    out: set[str] = set()
    for line in _prose_lines(text):
        m = _HEADING.match(line)
        if not m:
            continue
        base = slug(m.group(2))
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.add(base if n == 0 else f"{base}-{n}")
    return out


def links(text: str) -> list[str]:
    """Relative link targets of a Markdown text, outside code blocks and code spans."""
    found = []
    for line in _prose_lines(text):
        line = re.sub(r"`[^`]*`", "", line)
        for target in _LINK.findall(line):
            if not re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, mailto:, ...
                found.append(target)
    return found


def test_slug_follows_github() -> None:
    assert slug("K6. The last year's tax at a horizon that cuts it") == (
        "k6-the-last-years-tax-at-a-horizon-that-cuts-it"
    )
    assert slug("R&D spending") == "rd-spending"
    assert slug("`challenges[i]`") == "challengesi"
    assert anchors("# A\n## A\n```\n# not a heading\n```\n") == {"a", "a-1"}


def test_links_skip_code_and_external_targets() -> None:
    text = "[a](b.md#c) [web](https://example.org) `[x](y.md)`\n```\n[z](w.md)\n```\n"
    assert links(text) == ["b.md#c"]


def test_no_tracked_file_cites_documents_users_do_not_have() -> None:
    offenders = []
    for path in _tracked_files():
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(".ci/") or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:  # images and other binary files
            continue
        offenders += [
            f"{rel}:{n}: {line.strip()}"
            for n, line in enumerate(text.splitlines(), 1)
            if _OUTSIDE.search(line)
        ]
    assert not offenders, "cite docs/model.md or docs/calibration.md instead:\n" + "\n".join(
        offenders
    )


@pytest.mark.parametrize("doc", _markdown_documents(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_relative_links_resolve(doc: Path) -> None:
    text = doc.read_text(encoding="utf-8")
    broken = []
    for target in links(text):
        file_part, _, anchor = target.partition("#")
        dest = (doc.parent / file_part).resolve() if file_part else doc
        if not dest.exists():
            broken.append(f"{target}: no such file")
        elif anchor and dest.suffix == ".md":
            if anchor not in anchors(dest.read_text(encoding="utf-8")):
                broken.append(f"{target}: no heading with anchor #{anchor}")
    assert not broken, f"{doc.name}: " + "; ".join(broken)


def test_model_and_calibration_documents_exist() -> None:
    model = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    for heading in ("known-answer-cases", "what-is-reported", "tax", "participation"):
        assert heading in anchors(model)
    assert not (ROOT / "docs" / "model-notes.md").exists()
    calibration = (ROOT / "docs" / "calibration.md").read_text(encoding="utf-8")
    assert "neutral-package-defaults-and-calibrated-values" in anchors(calibration)


@pytest.mark.parametrize("name", ["model.md", "calibration.md", "scenario-reference.md"])
def test_yaml_examples_parse(name: str) -> None:
    text = (ROOT / "docs" / name).read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", text, flags=re.S)
    for block in blocks:
        assert isinstance(yaml.safe_load(block), dict), block
