"""The fleet: every Triton server the user runs, from Prometheus, a list of endpoints, or the
servers this machine registered (see sources.py), as one snapshot (snapshot.py)."""
