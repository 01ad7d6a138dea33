"""Tuning: find the best config for a model, Model Analyzer's job in the console (no Textual).

space: the axes and candidates; measure: the one adapter over the benchmark engine; record: the
results file, objectives and constraints; tuner: brute and hill-climbing searches, override loads
and restore; report: tables, Model Analyzer's CSV, the summary; apply: write the winner.
"""
