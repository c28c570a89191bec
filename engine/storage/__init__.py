"""The bottom layer: writing files atomically, appending to logs, refusing symbolic links.

Nothing here knows what a run, a finding or the ledger is; every package above writes its
files through these."""
