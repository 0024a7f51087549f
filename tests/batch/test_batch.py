# SPDX-License-Identifier: LGPL-2.1-or-later
"""wa-preflight batch on a nested folder of mixed media generated here:
the mirror tree, every output inspected independently, corrupt files
reported with reasons, hidden files and outside links skipped, the
collision pair, the JSON report, --dry-run, -j 1 against -j 2."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from batchlib import (COPIES, CONVERTS, EXPECT, FAILS, backend_missing,  # noqa: E402
                      entries, inspect, make_tree, outputs, report,
                      require_tools, run_batch, same_bytes)
from wapftest import Skip, case, finish, tmpdir  # noqa: E402

require_tools_error = None
try:
    require_tools()
    BASE = tmpdir()
    IN, OUTSIDE = make_tree(BASE)
    OUT = os.path.join(BASE, "out")
    REP = os.path.join(BASE, "report.json")
    FIRST = run_batch("-j", 2, "--report", REP, IN, OUT)
except Skip as e:
    require_tools_error = str(e)


def need():
    if require_tools_error:
        raise Skip(require_tools_error)


@case
def exit_status_is_1_when_some_files_fail():
    need()
    assert FIRST.returncode == 1, (FIRST.returncode, FIRST.stdout, FIRST.stderr)


@case
def report_has_one_entry_per_input_and_no_hidden_or_outside():
    need()
    ents = entries(report(REP))
    assert sorted(ents) == sorted(EXPECT), sorted(ents)


@case
def report_schema():
    need()
    rep = report(REP)
    for key in ("tool", "version", "indir", "outdir", "dry_run", "jobs",
                "summary", "files"):
        assert key in rep, key
    assert rep["dry_run"] is False and rep["jobs"] == 2
    s = rep["summary"]
    for key in ("files", "converted", "copied", "skipped", "failed",
                "bytes_in", "bytes_out", "seconds", "kinds", "renamed",
                "ignored"):
        assert key in s, key
    assert s["files"] == len(EXPECT)
    assert s["converted"] + s["copied"] + s["skipped"] + s["failed"] == s["files"]
    assert s["ignored"] >= 2  # the link to a file and to a folder outside
    for e in rep["files"]:
        for key in ("path", "kind", "action", "plan", "output", "findings",
                    "error", "bytes_in", "bytes_out"):
            assert key in e, (key, e)
        assert e["action"] in ("converted", "copied", "skipped", "failed")
        assert isinstance(e["findings"], list)
        for f in e["findings"]:
            assert f["severity"] in ("fail", "warning") and f["id"] and f["message"]
        if e["action"] == "failed":
            assert e["output"] is None
            assert e["error"]["code"] and e["error"]["message"], e
        else:
            assert e["error"] is None and e["output"], e


@case
def copies_are_byte_identical_and_keep_their_names():
    need()
    ents = entries(report(REP))
    for rel in COPIES:
        e = ents[rel]
        assert e["action"] == "copied", e
        assert e["output"] == EXPECT[rel][0], e
        assert same_bytes(os.path.join(IN, rel), os.path.join(OUT, e["output"]))


@case
def documents_pass_through():
    need()
    ents = entries(report(REP))
    for rel in ("docs/doc.pdf", "docs/notes.txt"):
        assert ents[rel]["kind"] == "document", ents[rel]


@case
def corrupt_files_fail_with_a_reason():
    need()
    ents = entries(report(REP))
    for rel in FAILS:
        e = ents[rel]
        assert e["action"] == "failed", e
        assert len(e["error"]["message"]) > 5, e
        assert rel in FIRST.stderr, FIRST.stderr  # listed with its reason
        assert e["error"]["message"] in FIRST.stderr


@case
def hidden_files_outside_links_and_loops_are_not_mirrored():
    need()
    got = outputs(OUT)
    for bad in (".hidden.jpg", "photos/.cache/x.jpg", "docs/link_out.jpg",
                "outside_dir/secret.jpg"):
        assert bad not in got, bad
    assert not any(p.startswith("photos/loop") for p in got), got
    assert os.listdir(os.path.join(OUT, ".wa-preflight")) != []


@case
def conversions_are_compliant_by_independent_inspection():
    need()
    ents = entries(report(REP))
    missing = [m for m in (backend_missing(ents[r]) for r in CONVERTS) if m]
    for rel in CONVERTS:
        e = ents[rel]
        if backend_missing(e):
            continue
        assert e["action"] == "converted", e
        assert e["output"] == EXPECT[rel][0], e
        inspect(os.path.join(OUT, e["output"]))
    if missing:
        raise Skip("back end not landed: " + "; ".join(missing))


@case
def collision_pair_is_renamed_in_sorted_order_and_reported():
    need()
    ents = entries(report(REP))
    if backend_missing(ents["clips/a.mov"]) or backend_missing(ents["clips/a.mkv"]):
        raise Skip("video back end not landed")
    assert ents["clips/a.mkv"]["output"] == "clips/a.mp4"
    assert not ents["clips/a.mkv"]["renamed"]
    assert ents["clips/a.mov"]["output"] == "clips/a-2.mp4"
    assert ents["clips/a.mov"]["renamed"]
    assert "a.mkv" in ents["clips/a.mov"]["note"]
    assert "a-2.mp4" in FIRST.stdout  # the rename is printed
    # a.mov came from the 330 Hz tone, a.mkv from 550 Hz: different files
    assert not same_bytes(os.path.join(OUT, "clips/a.mp4"),
                          os.path.join(OUT, "clips/a-2.mp4"))


@case
def every_output_is_valid_and_in_the_mirror_tree():
    need()
    ents = entries(report(REP))
    expected = sorted(e["output"] for e in ents.values() if e["output"])
    assert outputs(OUT) == expected, (outputs(OUT), expected)
    for rel in expected:
        inspect(os.path.join(OUT, rel))


@case
def dry_run_writes_nothing_and_prints_the_plan():
    need()
    out = os.path.join(BASE, "dry-out")
    p = run_batch("--dry-run", IN, out)
    assert not os.path.exists(out), "dry run created the output folder"
    assert p.returncode == 1, (p.returncode, p.stderr)
    for rel in EXPECT:
        assert rel in p.stdout, (rel, p.stdout)
    assert "photos/photo.jpg -> photos/photo.jpg" in p.stdout
    # with a report: the plan as JSON, and still no output folder
    rep_path = os.path.join(BASE, "dry.json")
    run_batch("--dry-run", "--report", rep_path, IN, out)
    assert not os.path.exists(out)
    rep = report(rep_path)
    assert rep["dry_run"] is True
    ents = entries(rep)
    assert ents["photos/photo.jpg"]["action"] == "copied"
    assert ents["bad/empty.png"]["action"] == "failed"


@case
def dry_run_on_a_done_folder_says_skip_and_changes_nothing():
    need()
    before = {p: os.stat(os.path.join(OUT, p)).st_mtime_ns for p in outputs(OUT)}
    state = sorted(os.listdir(os.path.join(OUT, ".wa-preflight")))
    p = run_batch("--dry-run", IN, OUT)
    assert "skip" in p.stdout, p.stdout
    after = {p: os.stat(os.path.join(OUT, p)).st_mtime_ns for p in outputs(OUT)}
    assert before == after
    assert sorted(os.listdir(os.path.join(OUT, ".wa-preflight"))) == state


@case
def one_job_and_two_jobs_give_the_same_results():
    need()
    out1 = os.path.join(BASE, "out-j1")
    rep1 = os.path.join(BASE, "rep-j1.json")
    p = run_batch("-j", 1, "--report", rep1, IN, out1)
    assert p.returncode == FIRST.returncode
    a, b = entries(report(rep1)), entries(report(REP))
    for rel in EXPECT:
        for key in ("kind", "action", "plan", "output", "renamed"):
            assert a[rel][key] == b[rel][key], (rel, key, a[rel], b[rel])
    assert outputs(out1) == outputs(OUT)
    for rel in COPIES:
        assert same_bytes(os.path.join(out1, EXPECT[rel][0]),
                          os.path.join(OUT, EXPECT[rel][0]))


@case
def outdir_inside_indir_is_not_walked():
    need()
    import shutil
    base = tmpdir()
    src = os.path.join(base, "in")
    shutil.copytree(os.path.join(IN, "docs"), os.path.join(src, "docs"),
                    symlinks=True)
    out = os.path.join(src, "wa")
    rep = os.path.join(base, "r.json")
    p = run_batch("--report", rep, src, out)
    assert p.returncode == 0, p.stderr
    p = run_batch("--report", rep, src, out)  # again: wa/ holds files now
    assert p.returncode == 0, p.stderr
    paths = sorted(entries(report(rep)))
    assert not any(x.startswith("wa/") for x in paths), paths
    assert outputs(out) == ["docs/doc.pdf", "docs/notes.txt"], outputs(out)


@case
def empty_folder_and_flat_folder():
    need()
    empty = os.path.join(tmpdir(), "empty")
    os.makedirs(empty)
    out = os.path.join(tmpdir(), "o")
    p = run_batch(empty, out)
    assert p.returncode == 0 and "0 files" in p.stdout, (p.stdout, p.stderr)
    with open(os.path.join(empty, "only.txt"), "w") as f:
        f.write("one file, no sub-folder\n")
    p = run_batch(empty, out)
    assert p.returncode == 0, p.stderr
    assert outputs(out) == ["only.txt"]


@case
def usage_errors_exit_2():
    need()
    assert run_batch(IN).returncode == 2
    assert run_batch(os.path.join(BASE, "nope"), os.path.join(BASE, "o2")).returncode == 2
    assert run_batch(IN, IN).returncode == 2
    assert run_batch("-j", 0, IN, os.path.join(BASE, "o3")).returncode == 2


finish()
