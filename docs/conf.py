"""Sphinx configuration: MyST-NB executes the tutorials; autodoc builds the API reference."""

project = "nx5d_core"
author = "nx5d_core developers"
extensions = ["myst_nb", "sphinx.ext.autodoc", "sphinx.ext.napoleon"]
source_suffix = {".md": "myst-nb"}
exclude_patterns = ["_build", "jupyter_execute", "_ipython"]
napoleon_google_docstring = False
napoleon_numpy_docstring = True
autodoc_typehints = "none"
autodoc_member_order = "bysource"
nb_execution_mode = "force"
nb_execution_raise_on_error = True
nb_execution_timeout = 600
myst_heading_anchors = 3
html_theme = "alabaster"
html_title = "nx5d_core"
