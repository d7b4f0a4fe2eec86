"""Study modules: what belongs to one study (its data contracts, indicators, tables and synthetic data).

The engine (the rest of :mod:`analysis`) names no study (``tests/test_engine_names_no_study.py``):
it reaches a study's code only through the configuration (``study.module``, :meth:`Study.code
<analysis.config.Study.code>`).
"""
