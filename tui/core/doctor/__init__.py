"""The doctor: why is this model not faster? Evidence from the server and this machine
(evidence.py, gather.py), rules that read it (rules.py), findings ranked with their config change
(findings.py, recipe.py), and a measured try of each change (tryit.py)."""
