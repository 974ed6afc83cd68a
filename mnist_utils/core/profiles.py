"""Profiles (``params/<profile>.yaml``) and the parameters they give each chapter.

Light on purpose (YAML, JSON and ``ast`` only): the runner, the command line that fills the
run store and the GPU script all read parameters through this module.
"""
from __future__ import annotations

import ast
import copy
import json
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import yaml

from . import paths


class RunError(RuntimeError):
    """A one-line error about the runner's input (profile, notebook, parameter)."""


# ------------------------------------------------------------------- profiles
def load_profile(profile: str) -> dict:
    """``params/<profile>.yaml``: ``output`` (folder) and ``notebooks: {name: {param: value}}``."""
    path = paths.profile_file(profile)
    if not path.exists():
        known = sorted(p.stem for p in paths.PARAMS.glob("*.yaml"))
        raise RunError(f"--profile {profile}: no file {path.relative_to(paths.ROOT)} (known: {', '.join(known)})")
    try:
        spec = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise RunError(f"{path.relative_to(paths.ROOT)}: invalid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(spec.get("output"), str) or not isinstance(spec.get("notebooks", {}), dict):
        raise RunError(f"{path.relative_to(paths.ROOT)}: needs 'output: <folder>' and a 'notebooks:' mapping")
    spec.setdefault("notebooks", {})
    for name in spec["notebooks"]:
        if not (paths.NOTEBOOKS / f"{name}.ipynb").exists():
            raise RunError(f"{path.relative_to(paths.ROOT)}: notebook '{name}' does not exist in notebooks/")
    return spec


def parse_override(text: str) -> tuple[str, object]:
    """``key=value`` with the value read as YAML (so 3, 1e-3, [0, 1], relu all work)."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise RunError(f"-p {text!r}: expected key=value")
    try:
        return key.strip(), yaml.safe_load(value)
    except yaml.YAMLError:
        raise RunError(f"-p {text!r}: value is not valid YAML") from None


def notebook_parameters(source: Path) -> dict:
    """The names and default values the ``parameters`` cell of a notebook declares (read
    without Jupyter: a GPU runner has neither papermill nor nbformat); parsed once per version
    of the file, a fresh copy each call."""
    stat = Path(source).stat()
    return copy.deepcopy(_declared_parameters(str(source), stat.st_mtime_ns, stat.st_size))


@lru_cache(maxsize=32)
def _declared_parameters(source: str, _mtime_ns: int, _size: int) -> dict:
    cells = json.loads(Path(source).read_text())["cells"]
    tagged = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(tagged) != 1:
        raise RunError(f"{paths.shown(Path(source))}: needs exactly one cell tagged 'parameters' (found {len(tagged)})")
    code = "".join(tagged[0]["source"])
    declared = {}
    for node in ast.parse(code).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                declared[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                raise RunError(f"{paths.shown(Path(source))}: parameter {node.targets[0].id} is not a literal") from None
    return declared


def profile_values(name: str, profile: str, spec: dict, overrides: dict) -> dict:
    """Profile values, then CLI overrides (the notebook's defaults fill the rest when papermill
    runs it); every key must be a declared parameter."""
    source = paths.NOTEBOOKS / f"{name}.ipynb"
    declared = notebook_parameters(source)
    params = {"profile": profile, **(spec["notebooks"].get(name) or {}), **overrides}
    unknown = sorted(set(params) - set(declared))
    if unknown:
        raise RunError(
            f"{name}: unknown parameter(s) {', '.join(unknown)} "
            f"(the parameters cell declares: {', '.join(declared)})"
        )
    return params




def chapter_parameters(name: str, profile: str, overrides: dict | None = None) -> Parameters:
    """A chapter's parameters as the runner passes them: the notebook's defaults, then the
    profile's values, then ``overrides``, checked (``Parameters.of``)."""
    defaults = notebook_parameters(paths.NOTEBOOKS / f"{name}.ipynb")
    return Parameters.of(name, {**defaults, **profile_values(name, profile, load_profile(profile), overrides or {})})


# What a notebook's namespace holds besides its parameters: IPython's own names.
_IPYTHON_NAMES = {"In", "Out", "get_ipython", "exit", "quit", "open"}
_PLAIN = (bool, int, float, str, list, tuple, dict, type(None))


def _kind(default) -> tuple[tuple[type, ...], str]:
    """The types a parameter may take, from its default in the parameters cell."""
    if isinstance(default, bool):
        return (bool,), "true or false"
    if isinstance(default, int):
        return (int,), "an integer"
    if isinstance(default, float):
        return (int, float), "a number"
    if isinstance(default, str):
        return (str,), "a string"
    if isinstance(default, (list, tuple)):
        return (list, tuple), "a list"
    if isinstance(default, dict):
        return (dict,), "a mapping"
    return (object,), "any value"


class Parameters(Mapping):
    """One chapter's parameters, checked once and frozen: ``params.seeds`` or ``params["seeds"]``.

    Made only by ``Parameters.of`` (and ``replace``), which checks every value against the
    chapter's parameters cell: a name it does not declare, a declared name missing, or a value of
    another type than its default's is a one-line ``RunError`` naming it. Training declarations
    (``experiments``) and pages take the object whole, so a misspelt name fails where it is read
    instead of being dropped."""

    __slots__ = ("chapter", "_values")

    def __init__(self, chapter: str, values: dict):
        object.__setattr__(self, "chapter", chapter)
        object.__setattr__(self, "_values", copy.deepcopy(values))

    @classmethod
    def of(cls, chapter: str, values: Mapping) -> Parameters:
        """``values`` checked against ``chapter``'s parameters cell."""
        declared = notebook_parameters(paths.NOTEBOOKS / f"{chapter}.ipynb")
        missing = [name for name in declared if name not in values]
        if missing:
            raise RunError(f"{chapter}: parameters {', '.join(missing)} missing from the parameters cell")
        unknown = sorted(set(values) - set(declared))
        if unknown:
            raise RunError(f"{chapter}: unknown parameter {unknown[0]}={values[unknown[0]]!r} "
                           f"(its parameters: {', '.join(declared)})")
        for name, default in declared.items():
            value, (types, kind) = values[name], _kind(default)
            if value is not None and default is not None and (not isinstance(value, types)
                                                              or (isinstance(value, bool) and bool not in types)):
                raise RunError(f"{chapter}: parameter {name}={value!r}: must be {kind}, like its default {default!r}")
        return cls(chapter, {name: values[name] for name in declared})

    def replace(self, **changes) -> Parameters:
        """These parameters with ``changes``, checked as ``of`` checks them."""
        return Parameters.of(self.chapter, {**self._values, **changes})

    def __getattr__(self, name: str):
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(f"{self.chapter}: no parameter {name!r}") from None

    def __setattr__(self, name, value):
        raise AttributeError(f"{self.chapter}: parameters are frozen (use replace({name}=...))")

    def __getitem__(self, name: str):
        return self._values[name]

    def __iter__(self):
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Parameters({self.chapter!r}, {self._values!r})"


def parameters_in(namespace: dict, chapter: str) -> Parameters:
    """The values of ``chapter``'s declared parameters in ``namespace`` (a notebook's globals after
    its parameters cell, so the runner's values, papermill's ``-p`` and the reader's edits are the
    ones used), checked once (``Parameters.of``); a plain value under a name the chapter does not
    declare (a misspelt ``-p``) counts as a parameter, so it is named as unknown."""
    declared = notebook_parameters(paths.NOTEBOOKS / f"{chapter}.ipynb")
    plain = {name: value for name, value in namespace.items()
             if name in declared or (not name.startswith("_") and name not in _IPYTHON_NAMES
                                     and isinstance(value, _PLAIN))}
    return Parameters.of(chapter, plain)
