# SPDX-License-Identifier: LGPL-2.1-or-later
"""The library exports exactly the public functions, each versioned.

The dynamic symbol table of the built libwapf.so (readelf --dyn-syms
--wide) must hold every WAPF_API function of include/wapf.h, each defined
with the version node of lib/libwapf.map (name@@WAPF_1), and no other
defined symbol (no internal wapf__ function, no symbol of a static
dependency, no unversioned export). The map itself must list exactly the
header's functions, and the soname must be libwapf.so.<major>."""
import os
import re
import subprocess

from wapftest import *

HEADER = os.path.join(SOURCE, "include", "wapf.h")
MAP = os.path.join(SOURCE, "lib", "libwapf.map")


def header_functions():
    text = re.sub(r"/\*.*?\*/", "", open(HEADER).read(), flags=re.S)
    names = set()
    for decl in re.findall(r"\bWAPF_API\b([^;]*?)\(", text):
        names.add(re.findall(r"\w+", decl)[-1])
    names.discard("__attribute__")  # the macro's own definition
    return names


def header_major():
    return re.search(r"#define WAPF_VERSION_MAJOR (\d+)",
                     open(HEADER).read()).group(1)


def map_nodes():
    """{node: set(global names)} of the version script."""
    text = re.sub(r"/\*.*?\*/", "", open(MAP).read(), flags=re.S)
    nodes = {}
    for m in re.finditer(r"([\w.]+)\s*\{(.*?)\}\s*[\w.]*\s*;", text, re.S):
        body = m.group(2)
        glob_part = body.split("local:")[0].replace("global:", "")
        nodes[m.group(1)] = {n.strip() for n in glob_part.split(";") if n.strip()}
    return nodes


def library():
    """The built library of the header's version (not a stale older one)."""
    text = open(HEADER).read()
    ver = ".".join(re.search(rf"#define WAPF_VERSION_{p} (\d+)", text).group(1)
                   for p in ("MAJOR", "MINOR", "PATCH"))
    path = os.path.join(BUILD, "lib", f"libwapf.so.{ver}")
    if not os.path.isfile(path):
        raise AssertionError(f"no {path}: is the build of this header?")
    return path


def dyn_syms(path):
    """[(name, version, defined, bind, vis)] of the dynamic symbol table."""
    out = subprocess.run(["readelf", "--dyn-syms", "--wide", path],
                         capture_output=True, text=True, check=True).stdout
    rows = []
    for line in out.splitlines():
        w = line.split()
        if len(w) < 8 or not w[0].rstrip(":").isdigit():
            continue
        bind, vis, ndx, name = w[4], w[5], w[6], w[7]
        if not name or w[3] == "SECTION" or w[3] == "FILE":
            continue
        base, _, ver = name.partition("@")
        rows.append((base, ver.lstrip("@"), ndx != "UND", bind, vis))
    return rows


@case
def the_map_lists_exactly_the_header_functions():
    nodes = map_nodes()
    major = f"WAPF_{header_major()}"
    # the major's node, then one node per later minor (WAPF_1.1, ...)
    assert list(nodes)[0] == major, nodes
    assert all(re.fullmatch(rf"{major}\.\d+", n) for n in list(nodes)[1:]), \
        nodes
    listed = set().union(*nodes.values())
    funcs = header_functions()
    assert len(funcs) > 30, funcs
    assert listed == funcs, (f"in the header only: {sorted(funcs - listed)}; "
                             f"in the map only: {sorted(listed - funcs)}")


@case
def every_export_is_versioned_and_nothing_else_is_exported():
    if not have("readelf"):
        raise Skip("readelf (binutils) is not installed")
    lib = library()
    node_of = {f: n for n, fs in map_nodes().items() for f in fs}
    nodes = set(node_of.values())
    defined = [r for r in dyn_syms(lib) if r[2] and r[3] in ("GLOBAL", "WEAK")]
    names = {r[0] for r in defined if r[0] not in nodes}
    funcs = header_functions()
    extra = sorted(names - funcs)
    missing = sorted(funcs - names)
    assert not extra, f"exported but not public: {extra[:20]}"
    assert not missing, f"public but not exported: {missing}"
    for base, ver, _, _, vis in defined:
        if base in nodes:
            continue  # a version node's own definition
        assert ver == node_of[base], \
            f"{base} has version {ver!r}, not {node_of[base]}"
        assert vis == "DEFAULT", (base, vis)
    # objdump agrees, and shows the node as the default version (@@).
    if have("objdump"):
        t = subprocess.run(["objdump", "-T", lib], capture_output=True,
                           text=True, check=True).stdout
        for f in funcs:
            assert re.search(rf"\s{re.escape(node_of[f])}\s+{f}$", t, re.M), \
                f"objdump: {f}"


@case
def the_soname_follows_the_major_version():
    if not have("readelf"):
        raise Skip("readelf (binutils) is not installed")
    out = subprocess.run(["readelf", "-d", library()], capture_output=True,
                         text=True, check=True).stdout
    m = re.search(r"\(SONAME\).*\[(.*)\]", out)
    assert m and m.group(1) == f"libwapf.so.{header_major()}", out


@case
def the_checker_sees_an_unversioned_or_extra_export():
    """The rule on a small library linked without and with a map."""
    if not (have("cc") and have("readelf")):
        raise Skip("cc or readelf is not installed")
    d = tmpdir()
    src = os.path.join(d, "x.c")
    with open(src, "w") as f:
        f.write("int wapf_open(void) { return 0; }\n"
                "int wapf__internal(void) { return 1; }\n")
    plain = os.path.join(d, "libplain.so")
    subprocess.run(["cc", "-shared", "-fPIC", src, "-o", plain], check=True)
    rows = {r[0]: r for r in dyn_syms(plain) if r[2]}
    assert rows["wapf_open"][1] == "" and "wapf__internal" in rows
    mapf = os.path.join(d, "x.map")
    with open(mapf, "w") as f:
        f.write("WAPF_1 { global: wapf_open; local: *; };\n")
    versioned = os.path.join(d, "libversioned.so")
    subprocess.run(["cc", "-shared", "-fPIC", src, f"-Wl,--version-script={mapf}",
                    "-o", versioned], check=True)
    rows = {r[0]: r for r in dyn_syms(versioned) if r[2]}
    assert rows["wapf_open"][1] == "WAPF_1" and "wapf__internal" not in rows


finish()
