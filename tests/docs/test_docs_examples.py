"""Every complete Python example in docs/ runs.

The ```python blocks of each page run in order, each in a fresh interpreter, in one
temporary folder per page with TRACKLET_DIR set to the default ``./tracklet`` inside it
(so a page's later examples read what its earlier ones logged). A block preceded by the comment
``<!-- no-test -->`` is a fragment and is skipped.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGES = sorted([*DOCS.glob("*.md"), *DOCS.glob("guides/*.md")])
FENCE = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
NO_TEST = re.compile(r"<!--\s*no-test\s*-->\s*\Z")


@dataclass(frozen=True)
class Example:
    page: Path
    line: int
    code: str

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(DOCS.parent)}:{self.line}"


def examples(page: Path) -> list[Example]:
    text = page.read_text(encoding="utf-8")
    found = []
    for match in FENCE.finditer(text):
        if NO_TEST.search(text[:match.start()]):
            continue
        found.append(Example(page, text.count("\n", 0, match.start()) + 1, match.group(1)))
    return found


def test_docs_have_examples() -> None:
    assert PAGES, f"no pages under {DOCS}"
    assert sum(len(examples(p)) for p in PAGES) >= 10


@pytest.mark.parametrize("doc", PAGES, ids=[str(p.relative_to(DOCS)) for p in PAGES])
def test_page_examples_run(doc: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("TRACKLET_") or k == "TRACKLET_CONFIG_DIR"}
    env.update(TRACKLET_DIR=str(tmp_path / "tracklet"), TRACKLET_SYSTEM_METRICS="false",
               TRACKLET_CONSOLE_CAPTURE="false", PYTHONUNBUFFERED="1",
               # the `tracklet` command on PATH, as in an activated virtual environment
               PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]))
    for example in examples(doc):
        proc = subprocess.run([sys.executable, "-c", example.code], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=120, check=False)
        assert proc.returncode == 0, (
            f"the example at {example.where} failed (exit {proc.returncode}):\n"
            f"{proc.stdout}\n{proc.stderr}")
        assert "WARNING" not in proc.stderr, (
            f"the example at {example.where} warned:\n{proc.stderr}")


def test_no_test_marker_skips_only_the_next_block(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("Intro.\n\n<!-- no-test -->\n```python\nfragment(...)\n```\n\n"
                    "```python\nprint('runs')\n```\n\n```bash\nls\n```\n", encoding="utf-8")
    found = examples(page)
    assert [(e.line, e.code) for e in found] == [(8, "print('runs')\n")]
