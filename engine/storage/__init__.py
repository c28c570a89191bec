"""Writing files safely: atomic replace (temp file, fsync, rename), append logs, refusing
symbolic links.

Nothing here knows what a run, a finding or the ledger is; every package that writes files
writes them through these."""
