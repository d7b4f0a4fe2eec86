"""The flexitime study: code that belongs to the flexible working pilot evaluation (its indicators,
report tables, survey displays, report prose and synthetic data). The engine reaches it only
through the configuration (``study.module`` in ``config/study.yml``)."""
