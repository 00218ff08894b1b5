"""tools/shape.py fails on a module or function over its limit and on file I/O in domain/ or
services/, takes known exceptions from its allow-list, and fails on an entry no longer needed; the
real tree passes."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from tools.shape import MAX_FUNCTION_LINES, MAX_MODULE_LINES, Allowlist, check, main

ROOT = Path(__file__).resolve().parents[2]


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "predictor"
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def _function(name: str, body_lines: int) -> str:
    return f"def {name}() -> None:\n" + "    x = 1\n" * body_lines


def test_the_real_tree_passes() -> None:
    allowlist = Allowlist.load(ROOT / "tools" / "shape_allowlist.toml")
    assert check(ROOT / "src" / "predictor", allowlist) == []


def test_a_small_tree_passes(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"domain/values.py": "X = 1\n", "adapters/disk.py": "open('f')\n"})
    assert check(root, Allowlist()) == []


def test_a_module_over_the_limit_fails(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"services/big.py": "x = 1\n" * (MAX_MODULE_LINES + 1), "ok.py": "x = 1\n"})
    assert check(root, Allowlist()) == [f"services/big.py is 251 lines (limit {MAX_MODULE_LINES})"]


def test_a_module_at_the_limit_passes(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"services/big.py": "x = 1\n" * MAX_MODULE_LINES})
    assert check(root, Allowlist()) == []


def test_a_function_or_method_over_the_limit_fails(tmp_path: Path) -> None:
    method = textwrap.indent(_function("long", MAX_FUNCTION_LINES), "    ")
    source = _function("short", MAX_FUNCTION_LINES - 1) + "class Thing:\n" + method
    root = _tree(tmp_path, {"adapters/thing.py": source})
    expected = f"adapters/thing.py:Thing.long is 61 lines (limit {MAX_FUNCTION_LINES})"
    assert check(root, Allowlist()) == [expected]


@pytest.mark.parametrize(
    ("code", "what"),
    [
        ("open('f')", "builtins.open()"),
        ("Path('f').read_text()", ".read_text()"),
        ("directory.mkdir(parents=True)", ".mkdir()"),
        ("path.write_bytes(b'')", ".write_bytes()"),
        ("path.unlink()", ".unlink()"),
        ("path.open('rb')", ".open()"),
        ("shutil.rmtree('d')", "shutil.rmtree()"),
        ("rmtree('d')", "shutil.rmtree()"),
        ("tempfile.mkdtemp()", "tempfile.mkdtemp()"),
        ("os.remove('f')", "os.remove()"),
        ("system.makedirs('d')", "os.makedirs()"),
        ("os.path.exists('f')", "os.path.exists()"),
    ],
)
def test_file_io_in_the_domain_or_services_fails(tmp_path: Path, code: str, what: str) -> None:
    imports = "import os\nimport os as system\nimport shutil\nimport tempfile\nfrom shutil import rmtree\n"
    source = imports + f"def load(path, directory) -> None:\n    {code}\n"
    root = _tree(tmp_path, {"services/load.py": source, "domain/fine.py": source.replace(code, "pass")})
    assert check(root, Allowlist()) == [f"services/load.py:7 does file I/O ({what}) in services/load.py:load"]


def test_other_os_calls_and_other_layers_may_do_what_they_like(tmp_path: Path) -> None:
    domain = "import os\nNAME = os.fspath('f')\nSEP = os.pathsep.join(['a'])\nHOME = os.environ.get('H')\n"
    adapter = "import shutil\ndef put() -> None:\n    shutil.copy('a', 'b')\n    open('f').read()\n"
    root = _tree(tmp_path, {"domain/names.py": domain, "adapters/files.py": adapter})
    assert check(root, Allowlist()) == []


def test_module_level_io_is_named_for_the_module(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"domain/cfg.py": "TEXT = open('f').read()\n"})
    expected = "domain/cfg.py:1 does file I/O (builtins.open()) in domain/cfg.py:<module>"
    assert check(root, Allowlist()) == [expected]


def test_allow_listed_breaches_pass(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "big.py": "x = 1\n" * (MAX_MODULE_LINES + 1),
            "long.py": _function("long", MAX_FUNCTION_LINES),
            "domain/io.py": "def read(p) -> str:\n    return p.read_text()\n",
        },
    )
    allowlist = Allowlist(
        modules={"big.py": "one reason"},
        functions={"long.py:long": "another"},
        file_io={"domain/io.py:read": "a third"},
    )
    assert check(root, allowlist) == []


def test_an_entry_no_longer_needed_fails_until_removed(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"big.py": "x = 1\n", "long.py": _function("long", 3), "domain/io.py": "X = 1\n"})
    allowlist = Allowlist(
        modules={"big.py": "was big"},
        functions={"long.py:long": "was long"},
        file_io={"domain/io.py:read": "gone"},
    )
    assert check(root, allowlist) == [
        "allow-list [modules] 'big.py' is no longer needed: remove it",
        "allow-list [functions] 'long.py:long' is no longer needed: remove it",
        "allow-list [file_io] 'domain/io.py:read' is no longer needed: remove it",
    ]


def test_every_entry_needs_a_reason(tmp_path: Path) -> None:
    path = tmp_path / "allow.toml"
    path.write_text('[modules]\n"big.py" = " "\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"\[modules\] 'big.py' needs a reason"):
        Allowlist.load(path)


def test_an_unknown_table_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "allow.toml"
    path.write_text('[module]\n"big.py" = "typo"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="unknown tables"):
        Allowlist.load(path)


def test_the_command_reports_and_exits_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _tree(tmp_path, {"big.py": "x = 1\n" * (MAX_MODULE_LINES + 1)})
    code = main(["--root", str(root), "--allowlist", str(tmp_path / "none.toml")])
    assert code == 1
    assert "big.py is 251 lines" in capsys.readouterr().err
    fine = _tree(tmp_path / "ok", {"a.py": "x = 1\n"})
    assert main(["--root", str(fine), "--allowlist", str(tmp_path / "none.toml")]) == 0
