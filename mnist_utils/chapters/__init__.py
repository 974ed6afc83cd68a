"""One module per chapter: its run sets, its measurements, its verdicts, its numbers, tables and
figures.
"""
