# SPDX-License-Identifier: LGPL-2.1-or-later
"""Every source file of the tree carries its licence line (scripts/spdx.sh
--check), and scripts/spdx.sh adds it as promised on a tree made here:
first line, or second after a shebang, in each file's comment syntax;
files that have it, and the seeds folders, untouched; a second run changes
nothing. The LICENSE file is the one the line names."""
import os
import subprocess

from wapftest import SOURCE, case, finish, tmpdir

SCRIPT = os.path.join(SOURCE, "scripts", "spdx.sh")
LINE = "SPDX-License-Identifier: LGPL-2.1-or-later"
LICENSE = os.path.join(SOURCE, "LICENSE")


def spdx(*args):
    return subprocess.run(["bash", SCRIPT, *args], capture_output=True,
                          text=True, timeout=120)


FILES = {
    "a.c": "#include <stdio.h>\n",
    "inc/a.h": "/* a header */\n#define A 1\n",
    "tool.py": "#!/usr/bin/env python3\n\"\"\"Doc.\"\"\"\nprint(1)\n",
    "lib.py": "\"\"\"Doc.\"\"\"\n",
    "run.sh": "#!/bin/bash\necho hi\n",
    "meson.build": "project('x', 'c')\n",
    "t/evolution.js": "'use strict';\n",
    "done.c": "/* SPDX-License-Identifier: MIT */\nint x;\n",
    "notes.md": "# Notes\n",
    "tests/fuzz/corpus/seed.c": "seed bytes\n",
    "build/gen.c": "int generated;\n",
}
WANT_FIRST = {
    "a.c": f"/* {LINE} */", "inc/a.h": f"/* {LINE} */",
    "lib.py": f"# {LINE}", "meson.build": f"# {LINE}",
    "t/evolution.js": f"// {LINE}",
}
WANT_SECOND = {"tool.py": f"# {LINE}", "run.sh": f"# {LINE}"}
UNTOUCHED = ["done.c", "notes.md", "tests/fuzz/corpus/seed.c", "build/gen.c"]


def make_tree():
    root = tmpdir()
    for rel, text in FILES.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
    os.chmod(os.path.join(root, "run.sh"), 0o755)
    return root


def read(root, rel):
    with open(os.path.join(root, rel)) as f:
        return f.read()


def snapshot(root):
    return {rel: read(root, rel) for rel in FILES}


@case
def every_source_file_of_the_tree_has_its_licence_line():
    p = spdx("--check", SOURCE)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr


@case
def the_licence_is_in_the_tree():
    with open(LICENSE) as f:
        text = f.read()
    assert "GNU LESSER GENERAL PUBLIC LICENSE" in text
    assert "Version 2.1, February 1999" in text


@case
def check_lists_the_files_without_it():
    root = make_tree()
    p = spdx("--check", root)
    assert p.returncode == 1, p
    listed = sorted(line.split(":")[0] for line in p.stdout.splitlines())
    assert listed == sorted(list(WANT_FIRST) + list(WANT_SECOND)), listed


@case
def the_line_is_added_first_or_after_the_shebang():
    root = make_tree()
    p = spdx(root)
    assert p.returncode == 0, p
    for rel, want in WANT_FIRST.items():
        lines = read(root, rel).splitlines()
        assert lines[0] == want, (rel, lines)
        assert "\n".join(lines[1:]) + "\n" == FILES[rel], (rel, lines)
    for rel, want in WANT_SECOND.items():
        lines = read(root, rel).splitlines()
        assert lines[0] == FILES[rel].splitlines()[0], (rel, lines)
        assert lines[1] == want, (rel, lines)
    assert os.access(os.path.join(root, "run.sh"), os.X_OK)
    for rel in UNTOUCHED:
        assert read(root, rel) == FILES[rel], rel
    assert sorted(os.listdir(root)) == sorted(
        {rel.split("/")[0] for rel in FILES}), os.listdir(root)
    assert spdx("--check", root).returncode == 0


@case
def a_second_run_changes_nothing():
    root = make_tree()
    assert spdx(root).returncode == 0
    first = snapshot(root)
    assert spdx(root).returncode == 0
    assert snapshot(root) == first


finish()
