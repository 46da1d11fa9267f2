"""The guide, docs/how-the-driver-works.md, against the tree it describes.

The guide names functions as `name()` (inline code, empty parentheses) and
files by their path in the repository (drv/..., include/..., boot/...,
tests/..., tools/...).  Every path must exist and every function must be
defined, as a C function or a macro, somewhere in drv/, include/ or boot/; a
function written next to its file, "`name()` (drv/x/y.c)", must be defined in
that very file (or, for a header, declared there).  So a renamed, moved or deleted function makes this test fail
until the guide follows.

And no file of the repository may point a reader at a folder outside it (the
notes the work was coordinated with are not part of the repository).
"""
import functools
import os
import re
import subprocess

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GUIDE = os.path.join(REPO, "docs", "how-the-driver-works.md")
SOURCE_DIRS = ("drv", "include", "boot")

# `name()` in inline code: a function the guide names.
FUNCTION = re.compile(r"`([A-Za-z_]\w*)\(\)`")
# A path of the repository, not preceded by another path character (so the
# "boot/" inside "tests/qemu/boot/x" is not taken for a path of its own).
PATH = re.compile(r"(?<![\w./-])((?:drv|include|boot|tests|tools|docs)/[\w./-]*[\w/])")
# "`name()` (drv/x/y.c" or "`name()`, drv/x/y.c" or "`name()` in drv/x/y.c":
# the function and the file that defines it.
FUNCTION_IN_FILE = re.compile(
    r"`([A-Za-z_]\w*)\(\)`\s*(?:\(|,|in\b)\s*`?((?:drv|include|boot)/[\w/.-]+\.[ch])\b")

# Spelled in pieces so that this file does not name them itself.
OUTSIDE = ("../" + "shared", "/" + "work/", "shared" + "/reference",
           "spec-and" + "-linux", "qemu" + "-rig", "DESIGN" + "-NOTES")


def guide_text():
    with open(GUIDE, encoding="utf-8") as f:
        return f.read()


@functools.lru_cache(maxsize=None)
def source_files():
    """{path relative to the repository: text} of the C sources and headers."""
    files = {}
    for top in SOURCE_DIRS:
        for root, _dirs, names in os.walk(os.path.join(REPO, top)):
            for n in names:
                if n.endswith((".c", ".h")):
                    p = os.path.join(root, n)
                    with open(p, encoding="utf-8", errors="replace") as f:
                        files[os.path.relpath(p, REPO)] = f.read()
    return files


def definition(name):
    """A C function definition of `name` (return type and name at the start
    of a line, a parameter list, then the body's brace) or a macro."""
    n = re.escape(name)
    return re.compile(
        r"^(?:[A-Za-z_][\w \t*]*[\s*])?" + n + r"\s*\([^;{}]*\)\s*\{"
        r"|^[ \t]*#[ \t]*define[ \t]+" + n + r"\b", re.M)


def defined_in(name, text):
    return definition(name).search(text) is not None


def declared_in(name, text):
    """A prototype of `name` (a header the guide cites for a call's contract)."""
    n = re.escape(name)
    return re.search(r"^(?:[A-Za-z_][\w \t*]*[\s*])?" + n + r"\s*\([^;{}]*\)[^;{}]*;",
                     text, re.M) is not None


def test_the_guide_names_functions_and_files():
    # Guards the extraction itself: a broken pattern must not make the
    # checks below pass on an empty list.
    text = guide_text()
    functions = set(FUNCTION.findall(text))
    paths = set(PATH.findall(text))
    pairs = set(FUNCTION_IN_FILE.findall(text))
    assert len(functions) >= 100, sorted(functions)
    assert len(paths) >= 30, sorted(paths)
    assert len(pairs) >= 60, sorted(pairs)


def test_every_path_in_the_guide_exists():
    missing = sorted(p for p in set(PATH.findall(guide_text()))
                     if not os.path.exists(os.path.join(REPO, p)))
    assert not missing, f"the guide names paths that do not exist: {missing}"


def test_every_function_in_the_guide_is_defined():
    texts = source_files().values()
    missing = sorted(name for name in set(FUNCTION.findall(guide_text()))
                     if not any(defined_in(name, t) for t in texts))
    assert not missing, (f"the guide names functions defined nowhere in "
                         f"{', '.join(SOURCE_DIRS)}: {missing}")


def test_functions_are_defined_in_the_file_the_guide_names():
    files = source_files()
    wrong = []
    for name, path in sorted(set(FUNCTION_IN_FILE.findall(guide_text()))):
        text = files.get(path, "")
        if not (defined_in(name, text) or (path.endswith(".h") and declared_in(name, text))):
            wrong.append((name, path))
    assert not wrong, f"the guide puts functions in files that do not define them: {wrong}"


def test_no_file_names_a_folder_outside_the_repository():
    r = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, check=True)
    tracked = [p for p in r.stdout.decode().split("\0") if p]
    assert tracked, "git ls-files listed nothing"
    # The guide too, before it is first committed.
    paths = set(tracked) | {os.path.relpath(GUIDE, REPO)}
    found = []
    for p in sorted(paths):
        full = os.path.join(REPO, p)
        if not os.path.isfile(full):
            continue  # deleted in the working tree, not yet committed
        with open(full, "rb") as f:
            data = f.read()
        for s in OUTSIDE:
            if s.encode() in data:
                found.append((p, s))
    assert not found, f"files that name folders outside the repository: {found}"
