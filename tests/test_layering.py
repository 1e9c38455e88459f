"""Architecture rules: the app never imports training code; only the GUI imports Qt."""
import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "subtitler"
RUNTIME = [p for p in PACKAGE.rglob("*.py") if "train" not in p.relative_to(PACKAGE).parts]


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            names.add(base)
            names |= {f"{base}.{a.name}" for a in node.names}
    return names


def test_runtime_never_imports_training_code():
    for path in RUNTIME:
        bad = {m for m in imported_modules(path) if "train" in m.split(".")}
        assert not bad, f"{path.relative_to(PACKAGE)} imports {bad}"


def test_only_the_gui_imports_qt():
    for path in PACKAGE.rglob("*.py"):
        if "gui" in path.relative_to(PACKAGE).parts:
            continue
        bad = {m for m in imported_modules(path) if m.startswith("PySide6")}
        assert not bad, f"{path.relative_to(PACKAGE)} imports {bad}"


def test_importing_the_app_loads_neither():
    code = ("import sys, subtitler.cli, subtitler.stream, subtitler.transcribe, subtitler.batch, "
            "subtitler.engine, subtitler.sources, subtitler.session, subtitler.live; "
            "print(sorted(m for m in sys.modules if m.startswith(('subtitler.train', 'PySide6'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_overlay_knows_nothing_about_models():
    """Only app.py (the wiring) and files.py (its file worker) may reach outside gui/; the widgets
    just render text."""
    for name in ("overlay.py", "rollup.py", "settings.py", "tray.py"):
        outside = {m for m in imported_modules(PACKAGE / "gui" / name) if m.startswith(("..", "subtitler"))}
        assert not outside, f"gui/{name} imports {outside}"
