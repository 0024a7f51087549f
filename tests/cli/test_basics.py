# SPDX-License-Identifier: LGPL-2.1-or-later
"""--help, --version and usage errors of probe, check and convert: the
right exit status (0 for help, 2 for usage) and a line that says why."""
import os
import re

from wapftest import *
from clihelp import lines, tool

SAMPLE = os.path.join(SOURCE, "samples", "clip_h264_aac_faststart.mp4")


@case
def version_prints_tool_and_library_version():
    p = tool("--version")
    assert p.returncode == 0, p
    assert re.fullmatch(r"wa-preflight \S+ \(libwapf \d+\.\d+\.\d+\)\n", p.stdout), p.stdout


@case
def help_lists_probe_check_convert():
    p = tool("--help")
    assert p.returncode == 0
    for cmd in ("probe", "check", "convert"):
        assert re.search(rf"^\s+{cmd}\s", p.stdout, re.M), p.stdout


@case
def each_subcommand_has_help_with_its_options():
    want = {"probe": ["--json"],
            "check": ["--as KIND", "--json", "--verbose"],
            "convert": ["--as KIND", "--output OUT", "--dir DIR", "--force",
                        "--json", "--stereo", "--png", "--keep-metadata"]}
    for cmd, opts in want.items():
        p = tool(cmd, "--help")
        assert p.returncode == 0, (cmd, p.stderr)
        assert p.stdout.startswith(f"usage: wa-preflight {cmd}"), p.stdout
        for o in opts:
            assert o in p.stdout, (cmd, o)


@case
def no_arguments_is_a_usage_error():
    p = tool()
    assert p.returncode == 2 and "usage" in p.stderr


@case
def unknown_command_is_a_usage_error():
    p = tool("frobnicate", SAMPLE)
    assert p.returncode == 2 and "unknown command" in p.stderr, p.stderr


@case
def missing_files_is_a_usage_error():
    for cmd in ("probe", "check", "convert"):
        p = tool(cmd)
        assert p.returncode == 2, (cmd, p.returncode)
        assert "usage: wa-preflight " + cmd in p.stderr, p.stderr
        assert p.stdout == ""


@case
def unknown_option_is_a_usage_error():
    for cmd in ("probe", "check", "convert"):
        p = tool(cmd, "--no-such-option", SAMPLE)
        assert p.returncode == 2, (cmd, p.returncode)
        assert "--no-such-option" in p.stderr, p.stderr


@case
def bad_option_values_are_usage_errors():
    bad = [("check", "--as", "movie"), ("convert", "--as", "gif"),
           ("convert", "--start", "abc"), ("convert", "--duration", "0"),
           ("convert", "--background", "#12"), ("convert", "--fit", "stretch"),
           ("convert", "--audio-track", "-1"), ("check", "--max-pixels", "0")]
    for cmd, opt, val in bad:
        p = tool(cmd, opt, val, SAMPLE)
        assert p.returncode == 2, (cmd, opt, val, p.returncode, p.stderr)
        assert len(lines(p.stderr)) == 1 and val in p.stderr, p.stderr


@case
def option_of_another_subcommand_is_refused():
    p = tool("probe", "--as", "video", SAMPLE)
    assert p.returncode == 2, p.returncode
    p = tool("check", "-o", "x.mp4", SAMPLE)
    assert p.returncode == 2, p.returncode


@case
def convert_o_with_two_inputs_is_a_usage_error():
    d = tmpdir()
    p = tool("convert", "-o", os.path.join(d, "x.mp4"), SAMPLE, SAMPLE)
    assert p.returncode == 2, p
    assert "-o takes one input" in p.stderr, p.stderr
    assert os.listdir(d) == []


@case
def convert_o_and_d_together_is_a_usage_error():
    d = tmpdir()
    p = tool("convert", "-o", os.path.join(d, "x.mp4"), "-d", d, SAMPLE)
    assert p.returncode == 2 and "together" in p.stderr, p.stderr
    assert os.listdir(d) == []


@case
def convert_d_on_a_file_is_a_usage_error():
    d = tmpdir()
    f = os.path.join(d, "file")
    open(f, "w").close()
    p = tool("convert", "-d", f, SAMPLE)
    assert p.returncode == 2 and "folder" in p.stderr, p.stderr


finish()
