"""Analysis and reporting for the flexible working (flexitime) pilot evaluation.

Data flow one way: load -> validate -> tidy -> compute -> disclose -> notebooks -> render.
"""

__version__ = "0.1.0"
