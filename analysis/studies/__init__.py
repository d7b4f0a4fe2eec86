"""Study modules: what belongs to one study (its data contracts, indicators and synthetic data).

The engine (the rest of :mod:`analysis`) names no study and never imports from here.
"""
