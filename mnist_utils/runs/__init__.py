"""Runs: the run store, the run sets each chapter declares, training what is missing, probes, kept
weights, gradient norms and costs.
"""
