"""The README's layout section lists the package as it is: every module, and no module that is gone."""
import re

from mnist_utils.core import paths


def layout_section() -> str:
    text = (paths.ROOT / "README.md").read_text()
    match = re.search(r"^## Layout\n(.*?)(?=^## |\Z)", text, flags=re.S | re.M)
    assert match, "README.md has no '## Layout' section"
    return match.group(1)


def test_the_layout_lists_every_module_of_the_package_and_no_other():
    package = paths.ROOT / "mnist_utils"
    modules = {str(p.relative_to(package)) for p in package.rglob("*.py")
               if p.stem not in ("__init__", "__main__") and "__pycache__" not in p.parts}
    listed = set()
    for line in layout_section().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[1].startswith("`"):
            folder = cells[0].strip("`") if cells[0].startswith("`") else ""
            listed |= {folder + name for name in re.findall(r"`(\w+\.py)`", cells[1])}
    assert not modules - listed, f"README.md Layout does not list: {sorted(modules - listed)}"
    assert not listed - modules, f"README.md Layout lists modules that do not exist: {sorted(listed - modules)}"
