"""Jinja templates of the generated notebook and of the zip's README: data, not code.

`notebook.j2` lists the notebook's cells in order; each cell starts with a marker line
`%%% markdown id=NAME` or `%%% code id=NAME [tags=a,b]`, and Jinja conditions on the process
decide which cells exist. Values never appear in the code cells: they reach the notebook only
through the cell tagged `parameters` (made from RunConfig by wizard.render).
"""
from pathlib import Path

TEMPLATES_DIR = Path(__file__).resolve().parent
