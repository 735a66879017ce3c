"""Sphinx configuration for the nntheory site.

Built offline: MathJax comes from the ``sphinx-mathjax-offline`` package,
intersphinx is not used, and sphinx-gallery never downloads an index.
"""

import os
import sys
from pathlib import Path

# Pin the thread pools before numpy or torch is imported anywhere, so example
# timings are stable on a 2-core machine (an explicit environment wins).
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "2")
os.environ.setdefault("MPLBACKEND", "Agg")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import nntheory  # noqa: E402

project = "nntheory"
author = "the nntheory developers"
copyright = "2026, the nntheory developers"
version = release = nntheory.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
# sphinx-gallery's execution-time pages load jQuery/DataTables from CDNs:
# they stay as source files (CI prints them) but are not part of the site.
exclude_patterns = ["_build", "sg_execution_times.rst", "auto_examples/**/sg_execution_times.rst", "auto_examples/sg_execution_times.rst"]
suppress_warnings = []

# -- API reference ----------------------------------------------------------
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": False}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# -- MathJax: served from _static/mathjax by sphinx-mathjax-offline --------
mathjax3_config = {"tex": {"macros": {"R": r"\mathbb{R}", "E": r"\mathbb{E}"}}}

# -- sphinx-gallery ---------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "gallery"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "FileNameSortKey",
    "doc_module": ("nntheory",),
    # Record backreferences under the defining module (nntheory.x.y.f), not
    # under a shorter re-export path, so API pages find their examples.
    "prefer_full_module": {r"^nntheory\."},
    "backreferences_dir": "api/backreferences",
    "reference_url": {"nntheory": None},
    "remove_config_comments": True,
    "reset_modules": ("matplotlib", "sg_reset.reset_torch"),
    "reset_modules_order": "both",
    "abort_on_example_error": False,
    "only_warn_on_example_error": False,
    "plot_gallery": "True",
    "download_all_examples": True,
    "show_memory": False,
    "min_reported_time": 0,
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "capture_repr": (),
    "first_notebook_cell": "# Needs the nntheory package: see the Quick start in its README for the install.",
}

# -- HTML -------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = "nntheory"
html_static_path = ["_static"]
html_css_files = ["nntheory.css"]
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "navbar_align": "left",
    "header_links_before_dropdown": 6,
    # Example pages give the right column's width to their figures; the
    # reference pages keep an in-page table of contents.
    "secondary_sidebar_items": {
        page: ["page-toc"] for page in ("index", "exercises", "api", "sources", "glossary", "generated/*")
    },
    "footer_start": ["copyright"],
    "footer_end": [],
    # No icon links: the theme would load remote assets for some of them.
    "icon_links": [],
}
html_context = {"default_mode": "light"}
html_sidebars = {"index": [], "exercises": [], "sources": [], "glossary": []}
html_show_sourcelink = False
