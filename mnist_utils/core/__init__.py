"""The project's ground: paths, atomic files, provenance, the parameter profiles and the claims
file.
"""
