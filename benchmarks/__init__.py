"""`make bench`: times ListenLoop's stages against the same work in plain DuckDB.

Every stage runs in a child process of its own, so its wall time and peak memory are its own;
`benchmarks.run` is the entry point, the other modules are what the children run.
"""
