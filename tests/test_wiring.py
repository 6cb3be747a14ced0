"""dvc.yaml, the stage modules, params.yaml, the schema and the README agree with each other."""

from __future__ import annotations

import ast
import dataclasses
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pipeline.params import Params
from pipeline.schema import STAGES, record_schema

ROOT = Path(__file__).resolve().parent.parent
DVC = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
PARAMS = yaml.safe_load((ROOT / "params.yaml").read_text())


def _runtime_nodes(tree: ast.AST):
    """Every node but those under `if TYPE_CHECKING:`: imports for type hints never run, so
    they are no dependency of the stage."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING"):
            yield from (n for child in node.orelse for n in [child, *_runtime_nodes(child)])
            continue
        yield node
        yield from _runtime_nodes(node)


def pipeline_imports(module: Path, seen: set[Path] | None = None) -> set[Path]:
    """Every pipeline/*.py a module needs, transitively (what its DVC stage must depend on)."""
    seen = seen if seen is not None else set()
    for node in _runtime_nodes(ast.parse(module.read_text())):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("pipeline"):
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names if a.name.startswith("pipeline")]
        for name in names:
            path = ROOT / (name.replace(".", "/") + ".py")
            if not path.exists():  # a package
                path = ROOT / name.replace(".", "/") / "__init__.py"
            if path.exists() and path not in seen:
                seen.add(path)
                pipeline_imports(path, seen)
    return seen


def test_stages_are_the_design_order():
    assert list(DVC) == list(STAGES)


@pytest.mark.parametrize("stage", STAGES)
def test_stage_runs_its_own_module(stage):
    assert shlex.split(DVC[stage]["cmd"])[:3] == ["python", "-m", f"pipeline.{stage}"]


@pytest.mark.parametrize("stage", STAGES)
def test_stage_depends_on_every_module_it_imports(stage):
    module = ROOT / "pipeline" / f"{stage}.py"
    deps = DVC[stage]["deps"]
    # A dependency folder's modules count as imported: annotate imports the annotators it is
    # asked for by name (`importlib`), which no import statement shows.
    modules = {module} | {
        py for dep in deps if (ROOT / dep).is_dir() for py in (ROOT / dep).rglob("*.py")
    }
    found = set().union(*(pipeline_imports(m) for m in modules)) | modules
    needed = {p.relative_to(ROOT).as_posix() for p in found}
    # __init__ only carries the version; only publish writes it into the release.
    if stage != "publish":
        needed.discard("pipeline/__init__.py")
    uncovered = [n for n in needed if not any(n == d or n.startswith(f"{d}/") for d in deps)]
    assert not uncovered
    assert "schemas" in deps


@pytest.mark.parametrize("stage", STAGES)
def test_stage_reads_its_params_section(stage):
    assert {"engine", stage} <= set(DVC[stage]["params"])


def test_params_yaml_has_exactly_the_known_sections():
    assert set(PARAMS) == {f.name for f in dataclasses.fields(Params)}
    assert set(STAGES) <= set(PARAMS)


@pytest.mark.parametrize("stage", STAGES)
def test_cmd_flags_exist_in_module_cli(stage):
    flags = [t for t in shlex.split(DVC[stage]["cmd"]) if t.startswith("--")]
    help_text = subprocess.run(
        [sys.executable, "-m", f"pipeline.{stage}", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert flags and all(flag in help_text for flag in flags)


@pytest.mark.parametrize("stage", STAGES)
def test_stage_module_says_what_it_reads_writes_and_uses(stage):
    doc = ast.get_docstring(ast.parse((ROOT / "pipeline" / f"{stage}.py").read_text()))
    assert doc and all(word in doc for word in ("Reads:", "Writes:", "Params:"))


def test_readme_names_every_stage_and_both_commands():
    readme = (ROOT / "README.md").read_text()
    assert "make run" in readme and "make test" in readme
    assert all(f"pipeline/{stage}.py" in readme for stage in STAGES)


def test_every_schema_field_is_documented_and_owned_by_a_stage():
    for field in record_schema().fields:
        assert field.description, field.name
        assert field.stage in STAGES, field.name


@pytest.mark.parametrize("stage", STAGES)
def test_stage_help_names_the_module_and_explains_every_option(stage):
    result = subprocess.run(
        [sys.executable, "-m", f"pipeline.{stage}", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: python -m pipeline.{stage} ")
    options = [a for a in shlex.split(DVC[stage]["cmd"]) if a.startswith("--")] + ["--params"]
    for option in options:
        # The help follows the option, on its line or (long option names) the next one.
        helps = re.findall(rf"^  {option} PATH\s+(\S.+)$", result.stdout, re.MULTILINE)
        assert len(helps) == 1 and len(helps[0]) > 10, f"{option} has no help"


def test_readme_names_every_quarantine_reason():
    """README's "Nothing is lost" is the list of reasons a reader of the quarantine meets."""
    from pipeline import quarantine

    reasons = {v for k, v in vars(quarantine).items() if k.isupper() and isinstance(v, str)}
    section = (ROOT / "README.md").read_text().split("### Nothing is lost", 1)[1]
    section = section.split("\n## ", 1)[0]
    assert reasons and {r for r in reasons if f"`{r}`" not in section} == set()
