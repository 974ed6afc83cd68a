"""The README's layout section lists the package as it is: every module, and no module that is gone."""
import re

from mnist_utils import paths


def layout_section() -> str:
    text = (paths.ROOT / "README.md").read_text()
    match = re.search(r"^## Layout\n(.*?)(?=^## |\Z)", text, flags=re.S | re.M)
    assert match, "README.md has no '## Layout' section"
    return match.group(1)


def test_the_layout_lists_every_module_of_the_package_and_no_other():
    modules = {p.stem for p in (paths.ROOT / "mnist_utils").glob("*.py") if p.stem not in ("__init__", "__main__")}
    table = "\n".join(line for line in layout_section().splitlines() if line.startswith("| `"))
    listed = set(re.findall(r"`(\w+)\.py`", table))
    assert not modules - listed, f"README.md Layout does not list: {sorted(modules - listed)}"
    assert not listed - modules, f"README.md Layout lists modules that do not exist: {sorted(listed - modules)}"
