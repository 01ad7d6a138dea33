"""Workflows that both front ends run: deploy, verify, infer, advice and diagnosis."""
