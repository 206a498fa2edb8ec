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
    # MathJax bundled in a Python package and copied into _static/mathjax: the pages
    # render their formulas with no network.
    "sphinx-mathjax-offline",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

autosummary_generate = True
numpydoc_show_class_members = False
templates_path = ["_templates"]
exclude_patterns = ["_build"]
html_theme = "pydata_sphinx_theme"
html_title = "sksoftce"
html_theme_options = {
    "navigation_with_keys": False,
    "secondary_sidebar_items": ["page-toc"],
}
# No left sidebar (the top bar lists every page): the content column gets the width.
html_sidebars = {"**": []}
html_static_path = ["_static"]
# Wide tables scroll inside their own box instead of being clipped.
html_css_files = ["sksoftce.css"]

sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    # compare_losses.py (the README's main job) and mixup_digits.py print tables
    # only; the gallery holds the examples with plots.
    "ignore_pattern": r"(^|/)(compare_losses|mixup_digits|mixup_solvers_digits|distillation_study|bce_vs_cce_study)\.py$",
    "within_subsection_order": "FileNameSortKey",
    "image_scrapers": ("matplotlib",),
    "abort_on_example_error": True,
    "show_memory": False,
    # The execution-times pages load jQuery and DataTables from CDNs: not written,
    # so that every page renders with no network.
    "write_computation_times": False,
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


def _study_page():
    """Tables and plots of the BCE vs CCE study, from its cached results.

    The study (``examples/bce_vs_cce_study.py``, about 15 minutes) is not rerun here:
    its per-split results are committed in ``examples/results``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from examples.bce_vs_cce_study import read_results, summarise

    out = Path(__file__).parent / "_generated"
    out.mkdir(exist_ok=True)
    rows = read_results()
    meta = json.loads(
        (ROOT / "examples" / "results" / "bce_vs_cce_study.json").read_text()
    )
    summaries = summarise(rows)
    names = {"accuracy": "accuracy", "log_loss": "log loss", "ece": "ECE"}
    lines = [
        f"{meta['n_fits']} fits on {meta['n_splits']} paired splits of each data set, "
        f"in {meta['wall_seconds'] / 60:.1f} minutes on 2 shared cores ({meta['machine']}). "
        f"{meta['n_fits'] - meta['n_not_converged']} fits stopped by their own rule; "
        f"{meta['n_not_converged']} reached ``max_iter`` with a ``ConvergenceWarning`` "
        "(recorded by the script, not silenced), counted in the last table.",
        "",
    ]
    for metric, name in names.items():
        better = "higher" if metric == "accuracy" else "lower"
        lines += [
            f".. list-table:: Test {name} ({better} is better): mean ± standard "
            "deviation over the splits; BCE - CCE is the mean paired difference; "
            "wins count the splits where each loss is better (ties are neither).",
            "   :header-rows: 1",
            "   :class: sksoftce-wide",
            "",
            "   * - data set\n     - model\n     - mixup\n     - BCE\n     - CCE"
            "\n     - BCE - CCE\n     - wins BCE / CCE",
        ]
        for s in summaries:
            m = s[metric]
            lines.append(
                "   * - "
                + "\n     - ".join(
                    [
                        s["dataset"],
                        s["model"],
                        s["mixup"],
                        f"{m['bce_mean']:.4f} ± {m['bce_std']:.4f}",
                        f"{m['cce_mean']:.4f} ± {m['cce_std']:.4f}",
                        f"{m['diff_mean']:+.4f}",
                        f"{m['bce_wins']} / {m['cce_wins']}",
                    ]
                )
            )
        lines.append("")
    not_converged = [
        s for s in summaries if min(s["converged"].values()) < s["n_splits"]
    ]
    lines += [
        ".. list-table:: Configurations with fits that reached ``max_iter``: fits that "
        "stopped by their own rule, of the splits.",
        "   :header-rows: 1",
        "",
        "   * - data set\n     - model\n     - mixup\n     - BCE\n     - CCE",
    ]
    for s in not_converged:
        n = s["n_splits"]
        lines.append(
            f"   * - {s['dataset']}\n     - {s['model']}\n     - {s['mixup']}\n"
            f"     - {s['converged']['bce']} / {n}\n     - {s['converged']['cce']} / {n}"
        )
    (out / "study_tables.rst").write_text("\n".join(lines) + "\n")

    # Paired differences, one dot per split, one row per configuration.
    labels = [f"{s['dataset']}, {s['model']}, mixup {s['mixup']}" for s in summaries]
    by_key = {}
    for row in rows:
        key = (row["dataset"], row["model"], row["mixup"])
        by_key.setdefault(key, {}).setdefault(row["loss"], {})[row["split"]] = row
    fig, axes = plt.subplots(1, 3, figsize=(13, 11), sharey=True)
    for ax, (metric, name) in zip(axes, names.items(), strict=True):
        for i, s in enumerate(summaries):
            cell = by_key[s["dataset"], s["model"], s["mixup"]]
            diffs = np.array(
                [cell["bce"][k][metric] - cell["cce"][k][metric] for k in cell["bce"]]
            )
            if metric == "accuracy":
                diffs = 100 * diffs
            ax.scatter(diffs, np.full(diffs.shape, i), s=8, color="tab:blue", alpha=0.5)
            ax.scatter(diffs.mean(), i, marker="|", s=150, color="black")
        ax.axvline(0, color="grey", lw=0.8)
        better = "BCE better" if metric == "accuracy" else "CCE better"
        worse = "CCE better" if metric == "accuracy" else "BCE better"
        unit = " (points)" if metric == "accuracy" else ""
        ax.set(xlabel=f"BCE - CCE, test {name}{unit}\n<- {worse} | {better} ->")
        ax.grid(axis="y", lw=0.3)
    axes[0].set_yticks(range(len(labels)), labels, fontsize=8)
    axes[0].invert_yaxis()
    fig.suptitle("Paired differences BCE - CCE per split (dots) and their mean (bars)")
    fig.tight_layout()
    fig.savefig(out / "study_differences.png", dpi=80)
    plt.close(fig)


_study_page()
