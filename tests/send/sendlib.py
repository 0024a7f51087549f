# SPDX-License-Identifier: LGPL-2.1-or-later
"""Shared set-up of the send tests: secrets, an isolated environment,
small media generated at test time, and a runner that asserts no secret
ever appears in the command's output."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from wapftest import fixture, run, tmpdir  # noqa: E402

TOKEN = "EAAGm0PX4ZCpsBAsecretMetaToken9876"
D360_KEY = "d360-secret-key-A1B2C3D4E5"
ONPREM_TOKEN = "onprem-secret-bearer-QWERTY123"
QIK_KEY = "qik-secret-key-ZXCVBN789"
LIPA_KEY = "lipa-secret-key-POIUYT456"
AWS_ID = "AKIAFAKEKEYID0000001"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYsecretAWS"
PHONE_ID = "106540352242922"
TO = "15551234567"
SECRETS = [TOKEN, D360_KEY, ONPREM_TOKEN, QIK_KEY, LIPA_KEY, AWS_SECRET,
           AWS_ID]
RUN = 8  # no run of this many characters of a secret may be shown

CRED_VARS = ["WA_TOKEN", "WA_PHONE_NUMBER_ID", "D360_API_KEY", "WA_ONPREM_TOKEN",
             "WA_ONPREM_BASE", "QIKCHAT_API_KEY", "LIPACHAT_API_KEY",
             "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION",
             "AWS_ENDPOINT_URL", "CURL_CA_BUNDLE"]


def base_env(**extra):
    """An environment with private config/cache/tmp folders and every
    credential of every provider set (tests unset what they need gone)."""
    d = tmpdir()
    env = {k: "" for k in CRED_VARS}
    env.update({
        "XDG_CONFIG_HOME": os.path.join(d, "config"),
        "XDG_CACHE_HOME": os.path.join(d, "cache"),
        "TMPDIR": os.path.join(d, "tmp"),
        "HOME": d,
        "WA_TOKEN": TOKEN, "WA_PHONE_NUMBER_ID": PHONE_ID,
        "D360_API_KEY": D360_KEY, "WA_ONPREM_TOKEN": ONPREM_TOKEN,
        "QIKCHAT_API_KEY": QIK_KEY, "LIPACHAT_API_KEY": LIPA_KEY,
        "AWS_ACCESS_KEY_ID": AWS_ID, "AWS_SECRET_ACCESS_KEY": AWS_SECRET,
    })
    os.makedirs(env["TMPDIR"])
    pg = os.environ.get("WAPF_TEST_PG_ADMIN")
    if pg:  # the same case on PostgreSQL: a fresh database of its own
        env["WA_PREFLIGHT_DB"] = fresh_database(pg)
        env["PGPASSFILE"] = os.environ.get("PGPASSFILE", "")
    env.update(extra)
    return env


def fresh_database(admin_url):
    """CREATE DATABASE on the server of admin_url (a URL ending in
    /DBNAME); the URL of the new one."""
    name = "wapf_t" + os.urandom(6).hex()
    p = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1",
                        admin_url, "-c", f"CREATE DATABASE {name}"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return admin_url.rsplit("/", 1)[0] + "/" + name


def journal_db(env):
    """The SQLite journal of env: $XDG_STATE_HOME/wa-preflight, else
    $HOME/.local/state/wa-preflight."""
    state = env.get("XDG_STATE_HOME") or os.path.join(env["HOME"], ".local",
                                                      "state")
    return os.path.join(state, "wa-preflight", "send-journal.sqlite")


def pieces(secret):
    """Every run of RUN characters of a secret."""
    return {secret[i:i + RUN] for i in range(len(secret) - RUN + 1)}


def no_secret_in(text, what="output"):
    """Assert that no run of RUN characters of any secret is in text."""
    for s in SECRETS:
        for piece in pieces(s):
            assert piece not in text, f"secret leaked in {what}: {piece!r} " \
                f"in {text!r}"


def no_secret(p):
    """Assert that no secret (nor a piece of 8 characters) is in the
    output."""
    no_secret_in(p.stdout + p.stderr)


def send(*args, env, timeout=120):
    """wa-preflight send -vv ARGS (debug logs: request bodies, every
    failure detail); asserts no secret is in its output."""
    p = run("send", "-vv", *args, env=env, timeout=timeout)
    no_secret(p)
    return p


def expect(p, rc):
    assert p.returncode == rc, (f"exit {p.returncode}, expected {rc}\n"
                                f"stdout: {p.stdout}\nstderr: {p.stderr}")


def tmp_empty(env):
    """The private temporary folder of the run holds nothing afterwards."""
    left = os.listdir(env["TMPDIR"])
    assert left == [], f"left in TMPDIR: {left}"


# ---------------------------------------------------------- media fixtures
FF = "ffmpeg -nostdin -v error -y"


def image_jpg():
    return fixture("send-photo.jpg",
                   FF + " -f lavfi -i testsrc=size=96x64 -frames:v 1 "
                   "-pix_fmt yuvj420p {out}")


def image_png_alpha():
    """Not compliant (alpha): send must convert it to JPEG first."""
    return fixture("send-alpha.png",
                   FF + " -f lavfi -i color=c=red@0.5:size=64x64,format=rgba "
                   "-frames:v 1 {out}")


def video_mp4():
    # no B-frames: the rules refuse them (Android clients do not play them)
    return fixture("send-clip-nobf.mp4",
                   FF + " -f lavfi -i testsrc=size=160x120:rate=10 -f lavfi "
                   "-i sine=frequency=440:sample_rate=44100 -t 1 -c:v libx264 "
                   "-profile:v main -bf 0 -pix_fmt yuv420p -c:a aac -ac 1 "
                   "-movflags +faststart {out}")


def voice_ogg():
    return fixture("send-voice.ogg",
                   FF + " -f lavfi -i sine=frequency=300:sample_rate=48000 "
                   "-t 1 -ac 1 -c:a libopus -b:a 24k {out}")


def sticker_webp():
    return fixture("send-sticker.webp",
                   FF + " -f lavfi -i color=c=blue:size=512x512 -frames:v 1 "
                   "-c:v libwebp -lossless 0 -q:v 50 {out}")


def sticker_animated_webp():
    return fixture("send-sticker-anim.webp",
                   FF + " -f lavfi -i testsrc=size=512x512:rate=5 -t 1 "
                   "-c:v libwebp -lossless 0 -q:v 30 -loop 0 {out}")


def document_pdf():
    return fixture("send-report.pdf",
                   "python3 -c \"import sys; open(sys.argv[1],'wb').write("
                   "b'%PDF-1.4\\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\\n"
                   "2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\\ntrailer"
                   "<</Root 1 0 R>>\\n%%EOF\\n')\" {out}")


def read(path):
    with open(path, "rb") as f:
        return f.read()
