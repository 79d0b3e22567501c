"""Every figure in docs/ carries the commands (docs/figures.toml) and the commit that made it."""
import re
import subprocess
import tomllib
from pathlib import Path

from PIL import Image

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _manifest() -> dict:
    with open(DOCS / "figures.toml", "rb") as f:
        return tomllib.load(f)


def test_every_docs_figure_is_listed_and_every_listed_figure_exists():
    assert {p.stem for p in DOCS.glob("*.png")} == set(_manifest())


def test_each_figure_is_stamped_with_its_commands_and_a_clean_commit():
    for name, entry in _manifest().items():
        with Image.open(DOCS / f"{name}.png") as image:
            text = image.text
        assert text.get("slopscope-commands") == " && ".join(entry["commands"]), name
        made_at = text.get("slopscope-commit", "")
        assert re.fullmatch(r"[0-9a-f]{40}", made_at), (name, made_at)  # not "+dirty"
        known = subprocess.run(["git", "cat-file", "-e", f"{made_at}^{{commit}}"], cwd=DOCS,
                               capture_output=True)
        shallow = subprocess.run(["git", "rev-parse", "--is-shallow-repository"], cwd=DOCS,
                                 capture_output=True, text=True).stdout.strip()
        assert known.returncode == 0 or shallow == "true", (name, made_at)


def test_the_readme_names_the_command_that_remakes_the_figures():
    readme = (DOCS.parent / "README.md").read_text()
    assert "python docs/figures.py" in readme
    for name in _manifest():
        assert f"docs/{name}.png" in readme, name
