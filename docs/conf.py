"""Sphinx configuration of the skfashion documentation.

Build (from the repository root)::

    python -m sphinx -W -b html docs docs/_build/html

Environment variables:

``SKFASHION_DOCS_INTERSPHINX=1``
    Link to the scikit-learn, NumPy, Python and Matplotlib documentation.
    Off by default: fetching their inventories needs the internet, and an
    unreachable inventory is a warning that ``-W`` turns into an error.
``SKFASHION_DOCS_NO_GALLERY=1``
    Do not execute the examples (fast build for editing prose); the gallery
    pages then show the code without outputs or figures.
"""

import logging
import os
import sys
from pathlib import Path

# Quiet TensorFlow's C++ start-up lines while the gallery runs, and never
# open a window.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("MPLBACKEND", "Agg")
# TensorFlow's Python warnings (e.g. about retracing) would only clutter the
# build log; they are not about the documentation.
logging.getLogger("tensorflow").setLevel(logging.ERROR)

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))

import skfashion  # noqa: E402

# -- Project ---------------------------------------------------------------
project = "skfashion"
author = "the skfashion developers"
copyright = "the skfashion developers"
release = skfashion.__version__
version = ".".join(release.split(".")[:2])

# -- General -----------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "skfashion_docs",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "sg_execution_times.rst"]
root_doc = "index"
default_role = "literal"
pygments_style = "sphinx"

# -- autodoc / autosummary / numpydoc ------------------------------------------
autosummary_generate = True
autosummary_imported_members = False
autodoc_default_options = {"members": True, "member-order": "bysource"}
autodoc_typehints = "none"
# The estimators subclass SciKeras and scikit-learn classes; their API is
# the one written in skfashion, not the long list of inherited helpers.
numpydoc_show_class_members = False
numpydoc_show_inherited_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False
# Docstrings are validated while the docs build (-W makes a finding fail it):
# section order and names, every parameter documented and no unknown one,
# parameter types and descriptions. Named return values (RT02) are the
# scikit-learn style and are allowed.
numpydoc_validation_checks = {
    "GL06",  # unknown section
    "GL07",  # sections in the wrong order
    "PR01",  # a parameter is not documented
    "PR02",  # a documented parameter does not exist
    "PR03",  # parameters documented in the wrong order
    "PR06",  # a parameter type uses a wrong name (integer, string, boolean)
    "PR07",  # a parameter has no description
    "YD01",  # a generator has no Yields section
}
numpydoc_validation_exclude = {
    # Routed parameters (optimizer__*, model__*, ...) arrive as **kwargs and
    # are documented in prose; tests/test_param_validation.py checks that
    # every constructor parameter is documented.
    r"\.Keras(CNN|MLP|Image)Classifier$",
    # Dataclasses: their fields are documented as Attributes.
    r"\.Preset$",
    r"\.EvaluationResult$",
}


def _skip_foreign_members(app, what, name, obj, skip, options):
    """Document only the members that skfashion itself defines."""
    if skip or what != "class":
        return None
    module = getattr(obj, "__module__", None) or getattr(
        getattr(obj, "fget", None), "__module__", None
    )
    if module is not None and not module.startswith("skfashion"):
        return True
    return None


def _attribute_docstring(app, what, name, obj, options, lines):
    """Give re-exported constants the comment docstring of their definition.

    A constant such as ``FASHION_MNIST_CLASSES`` is documented by a string
    after its assignment in a private module; autodoc, reading the public
    module, would show the docstring of its type (``tuple``) instead.
    """
    if what != "data" or "\n".join(lines).strip() != (type(obj).__doc__ or "").strip():
        return
    from sphinx.pycode import ModuleAnalyzer

    module_name, _, attr = name.rpartition(".")
    for sub_name, module in sorted(sys.modules.items()):
        if module is None or not sub_name.startswith(module_name + "."):
            continue
        try:
            docs = ModuleAnalyzer.for_module(sub_name).find_attr_docs()
        except Exception:  # a module without source code
            continue
        if ("", attr) in docs:
            lines[:] = list(docs[("", attr)])
            return
    lines[:] = []


# -- intersphinx -------------------------------------------------------------
# Inventories are fetched over the network; enable them on an online machine
# with SKFASHION_DOCS_INTERSPHINX=1. Keras publishes no Sphinx inventory.
if os.environ.get("SKFASHION_DOCS_INTERSPHINX") == "1":
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3", None),
        "numpy": ("https://numpy.org/doc/stable/", None),
        "sklearn": ("https://scikit-learn.org/stable/", None),
        "matplotlib": ("https://matplotlib.org/stable/", None),
    }
else:
    intersphinx_mapping = {}
intersphinx_timeout = 5

# -- sphinx-gallery ------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    # Only plot_*.py run; the other scripts (full-data runs) are shown as code.
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py",
    "within_subsection_order": "FileNameSortKey",
    "plot_gallery": "False" if os.environ.get("SKFASHION_DOCS_NO_GALLERY") else "True",
    "doc_module": ("skfashion",),
    "backreferences_dir": "generated/backreferences",
    "image_scrapers": ("matplotlib",),
    "remove_config_comments": True,
    "show_memory": False,
    "min_reported_time": 2,
    "download_all_examples": True,
    "matplotlib_animations": False,
}

# -- HTML ----------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skfashion {release}"
html_static_path = ["_static"]
html_css_files = ["skfashion.css"]
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "navbar_align": "left",
    "secondary_sidebar_items": ["page-toc", "sourcelink"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"index": [], "install": [], "quickstart": [], "results": []}
html_show_sourcelink = True
html_last_updated_fmt = None


def setup(app):
    app.connect("autodoc-skip-member", _skip_foreign_members)
    app.connect("autodoc-process-docstring", _attribute_docstring)
