"""The README's first fit prints what its comment says."""

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def _first_fit_block():
    text = README.read_text()
    section = text.split("## A first fit", 1)[1]
    return re.search(r"```python\n(.*?)```", section, flags=re.S).group(1)


def test_readme_first_fit_prints_what_its_comment_says():
    code = _first_fit_block()
    promised = re.search(r"# prints (.*?)(:|$)", code, flags=re.M).group(1).strip()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, str(README), "exec"), {})
    assert out.getvalue().strip() == promised
