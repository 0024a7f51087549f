# SPDX-License-Identifier: LGPL-2.1-or-later
"""include/wapf.h compiles alone, strictly, in C and in C++ (extern "C")."""
import os
import subprocess

from wapftest import *

HEADER_DIR = os.path.join(SOURCE, "include")
OUT = tmpdir()


def compile_alone(compiler, std, ext, body=""):
    src = os.path.join(OUT, f"alone_{compiler.replace('+', 'p')}_{std}{ext}")
    with open(src, "w") as f:
        # Twice: the include guard must hold.
        f.write("#include <wapf.h>\n#include <wapf.h>\n" + body)
    obj = src + ".o"
    p = subprocess.run([compiler, f"-std={std}", "-pedantic", "-Wall", "-Wextra",
                        "-Werror", "-I", HEADER_DIR, "-c", src, "-o", obj],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, f"{compiler} -std={std}: {p.stderr}"
    return obj


USE = """
int use(void);
int use(void) {
  wapf_settings s;
  wapf_default_settings(&s);
  return wapf_version()[0] + (int)WAPF_EEMPTY + (int)WAPF_KIND_STICKER;
}
"""


@case
def header_compiles_alone_in_c11():
    compile_alone("cc", "c11", ".c", USE)


@case
def header_compiles_alone_in_c99():
    compile_alone("cc", "c99", ".c")


@case
def header_compiles_alone_in_cxx_with_c_linkage():
    if not have("g++"):
        raise Skip("g++ not installed")
    obj = compile_alone("g++", "c++11", ".cpp", USE.replace("(void)", "()"))
    undefined = sh(f"nm -u '{obj}'")
    # extern "C": the library's symbols are referenced unmangled.
    assert " wapf_version\n" in undefined + "\n", undefined
    assert "_Z" not in "".join(l for l in undefined.splitlines() if "wapf" in l), undefined


@case
def header_declares_only_prefixed_names():
    src = os.path.join(OUT, "names.c")
    with open(src, "w") as f:
        f.write("#include <wapf.h>\n")
    out = sh(f"cc -E -dM -I '{HEADER_DIR}' '{src}'")
    ours = [l.split()[1] for l in out.splitlines()
            if l.startswith("#define ") and "wapf.h" not in l]
    import re
    base = sh(f"cc -E -dM -x c /dev/null").splitlines()
    base = {l.split()[1] for l in base if l.startswith("#define ")}
    std = sh(f"echo '#include <stddef.h>\n#include <stdint.h>' | cc -E -dM -x c -").splitlines()
    std = {l.split()[1] for l in std if l.startswith("#define ")}
    new = [n.split("(")[0] for n in ours if n not in base and n not in std]
    bad = [n for n in new if not re.match(r"^(WAPF_|wapf_)", n)]
    assert not bad, f"macros without the WAPF_ prefix: {bad}"


finish()
