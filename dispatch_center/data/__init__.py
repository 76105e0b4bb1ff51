"""Reference data shipped with the center (units, taxonomy, stop words), read by
:mod:`dispatch_center.reference.seed` and the reports.
"""
