"""Judging: statistics, measures of runs, the declared rules, sequential looks, results tables and
the verdicts each chapter records.
"""
