"""Analysis and reporting for a study's evaluation: the engine (a study's own code is in analysis/studies/).

Data flow one way: load -> validate -> tidy -> compute -> disclose -> notebooks -> render.
"""

__version__ = "0.1.0"
