"""The shape of the house (docs/architecture.md), checked on the source: rooms, owners of the
run-directory files, the verdict registry, the one-way imports."""

from __future__ import annotations

import ast
from pathlib import Path

from slopscope.experiments.presets import preset_names, sweep_preset_names
from slopscope.verdicts import BY_NAME, HELD_OUT_FREE_A, Verdict, findings, format_interval

SRC = Path(__file__).resolve().parents[1] / "src" / "slopscope"


def _strings(path: Path) -> list[tuple[int, str]]:
    """(line, value) of every string constant of a module that is not a docstring."""
    tree = ast.parse(path.read_text())
    docs = {id(node.body[0].value) for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef))
            and node.body and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)}
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and id(node) not in docs]


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    names = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    return names + [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]


def test_no_finding_name_is_spelled_outside_the_registry_and_its_rules():
    names = set(BY_NAME)
    # the same letters used for something else: a byte unit, a matplotlib colour prefix
    other_uses = {("errors.py", "B"), ("report/probe.py", "C")}
    owners = {SRC / "verdicts.py"}
    for path in SRC.rglob("*.py"):
        if path in owners or (SRC / "experiments" / "verdicts") in path.parents:
            continue
        where = str(path.relative_to(SRC))
        for line, value in _strings(path):
            spelled = value in names or any(value.startswith((f"{n}:", f"{n} ")) for n in names)
            assert not spelled or (where, value) in other_uses, f"{where}:{line}: {value!r}"


def test_run_directory_files_have_one_owner_each():
    owners = {"config.json": {"saved_config.py"}, "data.json": {"data_info.py"},
              # a data directory of `slopscope grammar` has a summary.json of its own
              "summary.json": {"summary.py", "store.py", "cli_grammar.py"}}
    for path in SRC.rglob("*.py"):
        where = str(path.relative_to(SRC))
        for line, value in _strings(path):
            for name, allowed in owners.items():
                assert name not in value or where in allowed, f"{where}:{line} names {name}"


def test_experiments_hold_rooms_only():
    room = SRC / "experiments"
    loose = [p.name for p in room.glob("*.py") if p.name != "__init__.py"]
    assert loose == []
    assert {p.name for p in room.iterdir() if p.is_dir() and p.name != "__pycache__"} == {
        "config", "run", "verdicts", "sweeps", "calibration", "results", "studies", "presets"}


def test_the_cli_reaches_the_library_through_the_application_layer():
    for name in ("cli.py", "cli_tools.py"):
        imported = _imports(SRC / name)
        assert not any(m.startswith(("slopscope.report", "slopscope.experiments"))
                       for m in imported), name
    app = _imports(SRC / "app.py")
    assert any(m.startswith("slopscope.report") for m in app)
    for path in (SRC / "report").rglob("*.py"):  # the report never chooses a calibration
        assert "calibration_path" not in path.read_text(), path


def test_the_grammar_has_no_import_circle():
    assert not any(m.startswith("slopscope.grammar.rhm") for m in
                   _imports(SRC / "grammar" / "entropy.py"))


def test_presets_are_the_files_in_presets():
    folder = SRC / "experiments" / "presets"
    assert preset_names() == sorted(p.stem for p in folder.glob("*.toml"))
    assert list(sweep_preset_names()) == sorted(p.stem for p in (folder / "sweeps").glob("*.toml"))
    for found in findings():  # every sweep finding names a shipped sweep that judges it
        assert found.scope == "run" or found.sweep_preset in sweep_preset_names()


def test_the_registry_names_rules_that_exist_and_verdicts_round_trip():
    from slopscope.experiments.verdicts import rule_of

    for found in (*findings(), HELD_OUT_FREE_A):
        assert callable(rule_of(found)), found.name
    v = Verdict.of(0.2, 0.1, 0.3, "measured", "rule", step=10, window=[1, 2])
    assert v.verdict == "holds" and Verdict.from_dict(v.to_dict()) == v
    assert Verdict.of(0.2, float("nan"), 0.3).verdict == "not measurable"
    assert format_interval(0.173, 0.128, 0.2181) == "+0.173 [+0.128, +0.218]"
    assert format_interval(0.93, 0.834, 1.03, 2, signed=False) == "0.93 [0.83, 1.03]"
    assert format_interval(None, 0.0, 1.0) == "n/a"


# the rooms from the bottom up: a module imports only rooms before its own (lazy imports inside
# functions included); strings that name a module for later import ("module:function" in a
# registry) are not imports
ROOMS = ("errors", "rows", "toml_text", "cli_options", "threads", "store", "grammar", "measure",
         "tokendata", "diffusion", "models", "train", "train_cost", "verdicts", "data",
         "checkpoints", "saved_config", "data_info", "summary", "export", "experiments", "report",
         "app", "cli_grammar", "cli_tools", "cli", "__init__")
EXPERIMENT_ROOMS = ("presets", "config", "verdicts", "run", "sweeps", "calibration", "studies",
                    "results")


def _room(module: str) -> tuple[str, str]:
    """(top-level room, room inside experiments/ or '') of a module under slopscope."""
    parts = module.split(".")[1:] or ["__init__"]
    inner = parts[1] if parts[0] == "experiments" and len(parts) > 1 else ""
    return parts[0], "" if inner == "__init__" else inner


def _all_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    out = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module]
    out += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    return [m for m in out if m.startswith("slopscope.")]


def test_no_import_goes_up_between_rooms_or_inside_experiments():
    rooms = {p.stem if p.is_file() else p.name for p in SRC.iterdir()
             if p.name != "__pycache__" and (p.suffix == ".py" or p.is_dir())}
    assert rooms == set(ROOMS), "a new room takes its place in ROOMS"
    for path in SRC.rglob("*.py"):
        module = "slopscope." + ".".join(path.relative_to(SRC).with_suffix("").parts)
        room, inner = _room(module)
        for imported in _all_imports(path):
            to, to_inner = _room(imported)
            if to != room:
                assert ROOMS.index(to) < ROOMS.index(room), f"{module} imports {imported}"
            elif room == "experiments" and inner and to_inner and to_inner != inner:
                assert (EXPERIMENT_ROOMS.index(to_inner) < EXPERIMENT_ROOMS.index(inner)), \
                    f"{module} imports {imported}"
