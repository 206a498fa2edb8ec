"""Sphinx configuration: numpydoc API pages, a sphinx-gallery of examples/plot_*.py."""

import json
import os
import sys
from pathlib import Path

import sksoftce

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # benchmarks/, for the table below
os.environ.setdefault("MPLBACKEND", "Agg")

project = "sksoftce"
author = "the sksoftce developers"
copyright = "2026, the sksoftce developers"
release = version = sksoftce.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

autosummary_generate = True
numpydoc_show_class_members = False
templates_path = ["_templates"]
exclude_patterns = ["_build"]
html_theme = "pydata_sphinx_theme"
html_title = "sksoftce"
html_theme_options = {"navigation_with_keys": False}

sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    # compare_losses.py (the README's main job) and mixup_digits.py print tables
    # only; the gallery holds the examples with plots.
    "ignore_pattern": r"(^|/)(compare_losses|mixup_digits|mixup_solvers_digits|distillation_study)\.py$",
    "within_subsection_order": "FileNameSortKey",
    "image_scrapers": ("matplotlib",),
    "abort_on_example_error": True,
    "show_memory": False,
}


def _benchmark_table():
    """Write ``_generated/benchmarks.rst`` from the latest full benchmark run."""
    from benchmarks.run import COLUMNS, machine_line, table_cells

    data = json.loads((ROOT / "benchmarks" / "results" / "latest.json").read_text())
    lines = [
        machine_line(data["machine"], data["quick"]),
        "",
        ".. list-table::",
        "   :header-rows: 1",
        "",
    ]
    for cells in [COLUMNS, *table_cells(data["rows"], emphasis="")]:
        cells = [
            (cell or " ").replace("|", "\\|") for cell in cells
        ]  # not substitutions
        lines.append("   * - " + "\n     - ".join(cells))
    out = Path(__file__).parent / "_generated" / "benchmarks.rst"
    out.parent.mkdir(exist_ok=True)
    out.write_text("\n".join(lines) + "\n")


_benchmark_table()
