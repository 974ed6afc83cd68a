"""environment.yml (conda/Binder) installs what pyproject.toml pins, and every environment the
project installs gets exactly one TensorFlow distribution."""
import re

import tomllib
import yaml
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from mnist_utils.core import paths


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
    # The conda/Binder environment is the CPU one: the base, dev, cpu (tensorflow-cpu) and jax pins
    # (chapters 2 and 3 of the book of record train their runs again in Flax).
    extras = project["optional-dependencies"]
    wanted = _pins(project["dependencies"] + extras["dev"] + extras["cpu"] + extras["jax"])
    env = yaml.safe_load((paths.ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    have = _pins(pip_section)
    assert have == wanted, f"environment.yml differs from pyproject.toml: {set(have.items()) ^ set(wanted.items())}"
    assert any(str(d).startswith("python=3.11") for d in env["dependencies"])
    assert "-e ." in pip_section or "." in pip_section, "environment.yml must install mnist_utils itself"


# --- One TensorFlow per environment -------------------------------------------------------
# tensorflow, tensorflow-cpu and tf-nightly all write the same `tensorflow` package: an
# environment that gets two of them holds whichever was installed last. The extras are
# resolved from pyproject.toml's markers (no network, no installer), for the extras each
# install command of the project names.
TENSORFLOWS = {"tensorflow", "tensorflow-cpu", "tensorflow-gpu", "tf-nightly", "tf-nightly-cpu"}
PLATFORMS = {
    "linux-x86_64": {"sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64",
                     "os_name": "posix"},
    "linux-aarch64": {"sys_platform": "linux", "platform_system": "Linux", "platform_machine": "aarch64",
                      "os_name": "posix"},
    "macos-arm64": {"sys_platform": "darwin", "platform_system": "Darwin", "platform_machine": "arm64",
                    "os_name": "posix"},
    "windows-amd64": {"sys_platform": "win32", "platform_system": "Windows", "platform_machine": "AMD64",
                      "os_name": "nt"},
}


def _marker_env(platform: str, extra: str = "") -> dict:
    return {**default_environment(), "python_version": "3.11", "python_full_version": "3.11.7",
            "implementation_name": "cpython", "platform_python_implementation": "CPython",
            **PLATFORMS[platform], "extra": extra}


def resolved_names(extras, platform: str) -> set[str]:
    """The distributions pyproject.toml asks for with these extras on this platform (direct
    requirements; a requirement on the project itself, `mnist_utils[x]`, adds extra x)."""
    project = tomllib.loads((paths.ROOT / "pyproject.toml").read_text())["project"]
    optional = project["optional-dependencies"]
    unknown = set(extras) - set(optional)
    assert not unknown, f"extras not in pyproject.toml: {sorted(unknown)}"
    names, todo, seen = set(), [("", r) for r in project["dependencies"]], set()
    for extra in extras:
        todo += [(extra, r) for r in optional[extra]]
    while todo:
        extra, text = todo.pop()
        req = Requirement(text)
        if req.marker and not req.marker.evaluate(_marker_env(platform, extra)):
            continue
        name = canonicalize_name(req.name)
        if name == canonicalize_name(project["name"]):
            for sub in set(req.extras) - seen:
                seen.add(sub)
                todo += [(sub, r) for r in optional[sub]]
        else:
            names.add(name)
    return names


def _extras(text: str) -> list[str]:
    return [e.strip() for e in text.split(",") if e.strip()]


def install_commands() -> dict[str, list[str]]:
    """Every place that installs the project, with the extras it names."""
    commands = {}
    makefile = (paths.ROOT / "Makefile").read_text()
    default = re.search(r"^EXTRAS\s*\?=\s*(\S+)\s*$", makefile, re.M)
    assert default, "the Makefile no longer sets EXTRAS ?= ...: update this test"
    recipe = re.findall(r'install .*-e "\.\[([^\]]*)\]"', makefile)
    assert recipe and set(recipe) == {"$(EXTRAS)"}, f"the Makefile installs {recipe}, not .[$(EXTRAS)]"
    commands["Makefile (make)"] = _extras(default.group(1))
    sources = [*sorted((paths.ROOT / ".github" / "workflows").glob("*.yml")), paths.ROOT / ".ci" / "run",
               paths.ROOT / "README.md"]
    for source in sources:
        text = source.read_text()
        for i, extras in enumerate(re.findall(r'pip install [^\n]*?-e "?\.\[([^\]]*)\]', text)):
            commands[f"{source.name}: pip install #{i + 1}"] = _extras(extras)
        for i, extras in enumerate(re.findall(r"\bmake\b[^\n]*\bEXTRAS=([\w,-]+)", text)):
            commands[f"{source.name}: make EXTRAS= #{i + 1}"] = _extras(extras)
    return commands


def test_the_install_commands_are_found():
    commands = install_commands()
    assert commands["Makefile (make)"] == ["dev", "jax", "cpu"]
    assert ["dev", "gpu"] in commands.values(), f"no GPU install command found: {commands}"


def test_every_install_command_gets_exactly_one_tensorflow():
    for where, extras in install_commands().items():
        for platform in PLATFORMS:
            tf = resolved_names(extras, platform) & TENSORFLOWS
            # Off Linux x86-64 the `gpu` extra's tensorflow[and-cuda] is the base `tensorflow` again.
            assert len(tf) == 1, f"{where}: .[{','.join(extras)}] on {platform} installs {sorted(tf) or 'no TensorFlow'}"


def test_the_cpu_and_gpu_environments_get_the_intended_tensorflow():
    assert resolved_names(["dev", "jax", "cpu"], "linux-x86_64") & TENSORFLOWS == {"tensorflow-cpu"}
    assert resolved_names(["dev", "gpu"], "linux-x86_64") & TENSORFLOWS == {"tensorflow"}
    gpu = next(Requirement(r) for r in tomllib.loads((paths.ROOT / "pyproject.toml").read_text())
               ["project"]["optional-dependencies"]["gpu"] if canonicalize_name(Requirement(r).name) == "tensorflow")
    assert "and-cuda" in gpu.extras
    # The resolver itself: the old layout (tensorflow-cpu in the base, tensorflow[and-cuda] in gpu) fails.
    assert len({canonicalize_name(Requirement(r).name) for r in (
        "tensorflow-cpu==2.21.0; sys_platform == 'linux' and platform_machine == 'x86_64'",
        "tensorflow[and-cuda]==2.21.0") if Requirement(r).marker is None
        or Requirement(r).marker.evaluate(_marker_env("linux-x86_64"))}) == 2


def test_environment_yml_gets_exactly_one_tensorflow():
    env = yaml.safe_load((paths.ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    for platform in PLATFORMS:
        tf = set()
        for line in pip_section:
            if line.startswith("-"):
                continue
            req = Requirement(line)
            if req.marker is None or req.marker.evaluate(_marker_env(platform)):
                tf |= {canonicalize_name(req.name)} & TENSORFLOWS
        assert len(tf) == 1, f"environment.yml on {platform}: {sorted(tf)}"
