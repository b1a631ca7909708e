"""Sources deliver raw items; each implements :class:`triage.sources.base.Source` and is
listed in :mod:`triage.sources.table`."""
