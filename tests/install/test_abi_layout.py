# SPDX-License-Identifier: LGPL-2.1-or-later
"""The public structures keep their layout unless the version says otherwise.

Every `typedef struct wapf_X { ... } wapf_X;` of include/wapf.h is read, a
small C program printing offsetof/sizeof of each member is generated and
compiled against the header, and its table is compared with the committed
baseline tests/install/abi-layout.txt (made for one version):

  - a member of the baseline that moved, changed size or disappeared is a
    break (a `reserved` tail may shrink: that is how members are added);
  - a structure the caller allocates, or that is handed out in arrays,
    must keep its size and alignment; one only the library allocates may
    grow (at its end: no old member moves);
  - a new public structure must be given its class in CLASSES below;
  - the baseline must be for the header's version: after a version bump
    (the only way to accept a break), regenerate it with

        python3 tests/install/test_abi_layout.py --write

    and commit it with the bump.

Why a compiled table rather than abidiff (abigail-tools): it needs no
debug-info build and no extra package, it reads as a diff in review, it
knows this project's rule that members are added by shrinking `reserved`
(abidiff reports that as a change), and its baseline does not depend on the
compiler's DWARF output.
"""
import os
import re
import subprocess
import sys

from wapftest import *

HEADER = os.path.join(SOURCE, "include", "wapf.h")
BASELINE = os.path.join(SOURCE, "tests", "install", "abi-layout.txt")

# caller: allocated by the caller (stack, its own structures): fixed size.
# array: handed out in arrays (or embedded in a caller's array): fixed size.
# library: allocated by the library only, handed out by pointer: may grow.
CLASSES = {
    "wapf_settings": "caller",
    "wapf_options": "caller",
    "wapf_send_request": "caller",
    "wapf_send_result": "caller",
    "wapf_result": "caller",
    "wapf_video_decision": "caller",  # inside wapf_result
    "wapf_batch_settings": "caller",
    "wapf_batch_summary": "caller",
    "wapf_batch_counts": "array",
    "wapf_stream": "array",
    "wapf_finding": "array",
    "wapf_rule_info": "array",
    "wapf_image_facts": "library",  # the last member of wapf_facts
    "wapf_facts": "library",
    "wapf_report": "library",
    "wapf_batch_event": "library",
    "wapf_batch_record": "array",
    "wapf_batch_shard_state": "array",
    "wapf_batch_state_report": "library",
    "wapf_journal_entry": "library",  # handed to wapf_journal_list's callback
    "wapf_webhook_request": "caller",
    "wapf_webhook_result": "caller",
    "wapf_outbox_item": "library",  # handed to wapf_outbox_next's callback
}


def header_version():
    text = open(HEADER).read()
    parts = [re.search(rf"#define WAPF_VERSION_{p} (\d+)", text).group(1)
             for p in ("MAJOR", "MINOR", "PATCH")]
    return ".".join(parts)


def public_structs():
    """[(name, [member, ...])] in header order, from the header's text."""
    text = re.sub(r"/\*.*?\*/", "", open(HEADER).read(), flags=re.S)
    out = []
    for m in re.finditer(r"typedef struct (\w+) \{(.*?)\} \1;", text, re.S):
        members = []
        for decl in m.group(2).split(";"):
            decl = decl.strip()
            if not decl:
                continue
            fn = re.search(r"\(\s*\*\s*(\w+)\s*\)", decl)
            if fn:
                members.append(fn.group(1))
                continue
            names = re.sub(r"\[[^]]*\]", "", decl).split(",")
            members.append(names[0].split()[-1].lstrip("*"))
            members += [n.strip().lstrip("*") for n in names[1:]]
        out.append((m.group(1), members))
    return out


def layout_now():
    """The table of the current header, as lines."""
    out = tmpdir()
    src = os.path.join(out, "abi_layout.c")
    body = ["#include <stdalign.h>", "#include <stddef.h>", "#include <stdio.h>",
            "#include <wapf.h>", "int main(void) {"]
    for name, members in public_structs():
        body.append(f'  printf("struct {name} %zu %zu\\n", sizeof({name}), '
                    f"alignof({name}));")
        for mem in members:
            body.append(f'  printf("member {name}.{mem} %zu %zu\\n", '
                        f"offsetof({name}, {mem}), sizeof((({name} *)0)->{mem}));")
    body += ["  return 0;", "}"]
    with open(src, "w") as f:
        f.write("\n".join(body) + "\n")
    exe = os.path.join(out, "abi_layout")
    subprocess.run(["cc", "-std=c11", "-Wall", "-Werror", "-I",
                    os.path.dirname(HEADER), src, "-o", exe], check=True,
                   capture_output=True, text=True, timeout=60)
    lines = subprocess.run([exe], check=True, capture_output=True, text=True,
                           timeout=30).stdout.splitlines()
    return [f"version {header_version()}"] + lines


def parse(lines):
    version, structs, members = None, {}, {}
    for line in lines:
        if not line.strip() or line.startswith("#"):
            continue
        w = line.split()
        if w[0] == "version":
            version = w[1]
        elif w[0] == "struct":
            structs[w[1]] = (int(w[2]), int(w[3]))
        elif w[0] == "member":
            members[w[1]] = (int(w[2]), int(w[3]))
    return version, structs, members


def breaks(base, now):
    """Every difference between two tables that breaks the ABI."""
    _, bs, bm = base
    _, ns, nm = now
    bad = []
    for name in ns:
        if name not in CLASSES:
            bad.append(f"{name}: a new public structure: give it a class in "
                       f"CLASSES (caller, array or library)")
    for name, (size, align) in bs.items():
        if name not in ns:
            bad.append(f"{name}: removed")
            continue
        nsize, nalign = ns[name]
        grows = CLASSES.get(name) == "library"
        if nalign != align or (nsize != size and not (grows and nsize > size)):
            bad.append(f"{name}: size/alignment {size}/{align} -> "
                       f"{nsize}/{nalign}")
    for key, (off, size) in bm.items():
        name, mem = key.split(".")
        if key not in nm and mem == "reserved":
            # the whole tail taken by new members: fine if they stay in it
            new = [(o, n) for k, (o, n) in nm.items()
                   if k.startswith(name + ".") and k not in bm]
            if new and all(off <= o and o + n <= off + size for o, n in new):
                continue
            bad.append(f"{key}: removed, and not by members inside it")
        elif key not in nm:
            bad.append(f"{key}: removed or renamed")
        elif mem == "reserved":
            # Shrinking the tail is how members are added: it must still
            # start where it did or later, and end where it did.
            noff, nsize = nm[key]
            if noff < off or noff + nsize != off + size:
                bad.append(f"{key}: {off}+{size} -> {noff}+{nsize}")
        elif nm[key] != (off, size):
            bad.append(f"{key}: offset/size {off}/{size} -> "
                       f"{nm[key][0]}/{nm[key][1]}")
    return bad


def check(base_lines, now_lines):
    base, now = parse(base_lines), parse(now_lines)
    if base[0] != now[0]:
        return [f"the baseline is for {base[0]}, the header says {now[0]}: "
                f"regenerate it (python3 tests/install/test_abi_layout.py "
                f"--write) and commit it with the version bump"]
    return breaks(base, now)


if __name__ == "__main__" and "--write" in sys.argv:
    with open(BASELINE, "w") as f:
        f.write("# Public structure layout of include/wapf.h (x86-64 / LP64).\n"
                "# Generated by tests/install/test_abi_layout.py --write; see\n"
                "# CONTRIBUTING.md before changing it.\n")
        f.write("\n".join(layout_now()) + "\n")
    print(f"wrote {BASELINE}")
    sys.exit(0)


@case
def every_public_struct_is_classified_and_keeps_its_layout():
    import platform
    if platform.machine() not in ("x86_64", "amd64"):
        raise Skip(f"the baseline is for x86-64; this machine is "
                   f"{platform.machine()}")
    if not have("cc"):
        raise Skip("no C compiler (cc) to build the layout table")
    bad = check(open(BASELINE).read().splitlines(), layout_now())
    assert not bad, "public ABI changed without a version bump:\n  " + \
        "\n  ".join(bad)


@case
def the_checker_sees_a_moved_member_a_grown_array_struct_and_a_used_tail():
    """The rules themselves, on edited copies of the real table."""
    now = layout_now()
    base = parse(now)
    # A member that moves (a field inserted before it) is a break.
    moved = [l.replace("member wapf_stream.codec 8 32",
                       "member wapf_stream.codec 12 32") for l in now]
    assert any("wapf_stream.codec" in b for b in breaks(parse(moved), base))
    # An array element that grows is a break; a library struct may grow.
    def grown(name):
        return [re.sub(rf"^struct {name} (\d+)",
                       lambda m: f"struct {name} {int(m.group(1)) - 8}", l)
                for l in now]
    assert any("wapf_finding: size" in b
               for b in breaks(parse(grown("wapf_finding")), base))
    assert not breaks(parse(grown("wapf_report")), base)
    # A member taking the first 4 bytes of reserved is fine.
    _, _, members = base
    off, size = members["wapf_stream.reserved"]
    shrunk = [l for l in now if not l.startswith("member wapf_stream.reserved ")]
    shrunk.append(f"member wapf_stream.reserved {off - 4} {size + 4}")
    assert not breaks(parse(shrunk), base)
    # A tail taken whole by new members inside it is fine; one that
    # vanishes with nothing in its place, or whose new member runs past
    # its end, is a break.
    off, size = members["wapf_stream.reserved"]
    gone = [l for l in now if not l.startswith("member wapf_stream.reserved ")]
    assert any("wapf_stream.reserved" in b for b in breaks(base, parse(gone)))
    taken = gone + [f"member wapf_stream.extra {off} {size}"]
    assert not breaks(base, parse(taken))
    over = gone + [f"member wapf_stream.extra {off} {size + 8}"]
    assert any("wapf_stream.reserved" in b for b in breaks(base, parse(over)))
    # Another version than the baseline's asks for a regeneration.
    other = ["version 9.9.9"] + now[1:]
    assert "regenerate" in check(now, other)[0]


finish()
