"""Tuning: find the best config for a model, Model Analyzer's job in the console (no Textual).

space: the axes and candidates; measure: the one adapter over the benchmark engine (levels with
their intervals, several models at once); record: the results file, objectives and constraints;
tuner: brute and hill-climbing searches, override loads and restore, the final round; compare and
trial: intervals and the interleaved A/B; verdict: ties, the pick and whether it beats the current
config beyond noise; report: tables, Model Analyzer's CSV, the summary, the --json verdict;
html_report and svgchart: the report to hand on; apply: write the winner.
"""
