"""environment.yml (conda/Binder) installs what pyproject.toml pins."""
import re
import tomllib

import yaml

from mnist_utils import paths


def _pins(requirements):
    pins = {}
    for req in requirements:
        req = req.split(";")[0].strip()
        m = re.match(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s,]+)$", req)
        if m:
            pins[re.sub(r"\[.*\]", "", m.group(1)).lower()] = m.group(2)
    return pins


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((paths.ROOT / "pyproject.toml").read_text())["project"]
    wanted = _pins(project["dependencies"] + project["optional-dependencies"]["dev"])
    env = yaml.safe_load((paths.ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    have = _pins(pip_section)
    assert have == wanted, f"environment.yml differs from pyproject.toml: {set(have.items()) ^ set(wanted.items())}"
    assert any(str(d).startswith("python=3.11") for d in env["dependencies"])
    assert "-e ." in pip_section or "." in pip_section, "environment.yml must install mnist_utils itself"
