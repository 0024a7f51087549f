# SPDX-License-Identifier: LGPL-2.1-or-later
"""send delivers an image, a video, a voice note, a sticker and a document
through every provider that takes them, with the documented bodies; the
media-id cache skips a second upload; a non-compliant file is converted
first, in a private folder that is removed afterwards."""
import json
import os
import shutil

from sendlib import (D360_KEY, LIPA_KEY, ONPREM_TOKEN, PHONE_ID, QIK_KEY, TO,
                     TOKEN, base_env, document_pdf, expect, image_jpg,
                     image_png_alpha, read, send, sticker_animated_webp,
                     sticker_webp, tmp_empty,
                     video_mp4, voice_ogg)
from fakes import (FakeCloud, FakeLipachat, FakeOnPrem, FakeQikchat,
                   LinkServer, TestCA)
from wapftest import case, finish, tmpdir

# kind -> (fixture, extra args, upload type, message type)
KINDS = {
    "image": (image_jpg, ["--caption", "Hello, café ☕"], "image/jpeg", "image"),
    "video": (video_mp4, ["--caption", "a clip"], "video/mp4", "video"),
    "voice": (voice_ogg, ["--as", "voice"], "audio/ogg", "audio"),
    "sticker": (sticker_webp, [], "image/webp", "sticker"),
    "document": (document_pdf, ["--caption", "Q3 report", "--filename",
                                "Q3 report"], "application/pdf", "document"),
}


def by_id_provider(fake, provider, kind, env):
    """Send one kind by id; check the upload and the message the fake got."""
    make, extra, mime, mtype = KINDS[kind]
    path = make()
    before = len(fake.requests)
    p = send("--provider", provider, "--to", TO, "--api-base", fake.url,
             "--no-cache", "--json", *extra, path, env=env)
    expect(p, 0)
    out = json.loads(p.stdout)
    new = fake.requests[before:]
    assert [r.problem for r in new] == [None, None], new
    assert len(new) == 2, new
    up, msg = new
    assert up.path.endswith("/media") and msg.path.endswith("/messages")
    if provider == "onprem":
        assert up.headers["content-type"] == mime
        data = up.body
    else:
        assert up.parts["type"][0] == mime
        data, fname, ftype = up.parts["file"]
        assert ftype == mime
    assert data == read(path), "a compliant file is uploaded unchanged"
    body = msg.json
    assert body["type"] == mtype and body["to"] == TO
    obj = body[mtype]
    assert obj["id"] == out["media_id"] and obj["id"] in fake.media
    assert out["message_id"] == fake.message_ids[-1]
    if kind == "voice":
        assert obj.get("voice") is True
    if kind == "document":
        assert obj["filename"] == "Q3 report.pdf", obj
        assert obj["caption"] == "Q3 report"
    if kind == "image":
        assert obj["caption"] == "Hello, café ☕"
    if kind == "sticker":
        assert set(obj) == {"id"}
    assert out["kind"] == ("voice" if kind == "voice" else mtype)
    tmp_empty(env)


@case
def meta_delivers_every_kind():
    env = base_env()
    with FakeCloud(TOKEN, PHONE_ID) as f:
        for kind in KINDS:
            by_id_provider(f, "meta", kind, env)
        assert all(r.path.startswith(f"/v21.0/{PHONE_ID}/") for r in f.requests)
        # an animated sticker too (the On-Premises API is the one that
        # refuses them: see test_send_errors)
        p = send("--provider", "meta", "--to", TO, "--api-base", f.url,
                 "--no-cache", sticker_animated_webp(), env=env)
        expect(p, 0)
        assert f.sent[-1]["type"] == "sticker" and f.problems() == []
        up = f.matching("POST", f"/v21.0/{PHONE_ID}/media")[-1]
        assert up.parts["file"][0] == read(sticker_animated_webp())


@case
def meta_graph_version_is_configurable():
    env = base_env()
    with FakeCloud(TOKEN, PHONE_ID, version="v19.0") as f:
        p = send("--provider", "meta", "--to", TO, "--api-base", f.url + "/",
                 "--graph-version", "v19.0", "--no-cache", image_jpg(), env=env)
        expect(p, 0)
        assert f.problems() == [] and f.count("POST") == 2


@case
def dialog360_delivers_every_kind():
    env = base_env()
    with FakeCloud(D360_KEY, dialect="360dialog") as f:
        for kind in KINDS:
            by_id_provider(f, "360dialog", kind, env)


@case
def onprem_delivers_what_it_takes():
    env = base_env()
    with FakeOnPrem(ONPREM_TOKEN) as f:
        for kind in ("image", "video", "sticker", "document"):
            by_id_provider(f, "onprem", kind, env)
        # the base may come from WA_ONPREM_BASE instead of --api-base
        env2 = dict(env, WA_ONPREM_BASE=f.url)
        p = send("--provider", "onprem", "--to", TO, "--no-cache",
                 image_jpg(), env=env2)
        expect(p, 0)
        assert f.problems() == []


def link_server(d):
    ca = TestCA(d)
    srv = LinkServer(tls=ca)
    return ca, srv


def serve(srv, path, ctype):
    return srv.add("/files/" + os.path.basename(path), read(path), ctype,
                   {"Cache-Control": "public, max-age=600", "ETag": '"abc"'})


LINK_KINDS = {  # kind -> (fixture, args, content type, qikchat type, lipa type)
    "image": (image_jpg, ["--caption", "pic"], "image/jpeg", "image", "IMAGE"),
    "video": (video_mp4, [], "video/mp4", "video", "VIDEO"),
    "audio": (voice_ogg, ["--as", "audio"], "audio/ogg", "audio", "AUDIO"),
    "sticker": (sticker_webp, [], "image/webp", "sticker", "STICKER"),
    "document": (document_pdf, ["--caption", "doc"], "application/pdf",
                 "document", "DOCUMENT"),
}


@case
def qikchat_sends_links_of_every_kind():
    env = base_env()
    ca, srv = link_server(tmpdir())
    with srv, FakeQikchat(QIK_KEY) as q:
        for kind, (make, extra, ctype, qtype, _) in LINK_KINDS.items():
            url = serve(srv, make(), ctype)
            p = send("--provider", "qikchat", "--to", TO, "--api-base", q.url,
                     "--link", url, "--cacert", ca.ca, *extra, make(), env=env)
            expect(p, 0)
            body = q.sent[-1]
            assert body["type"] == qtype and body["to_contact"] == TO
            assert body[qtype]["link"] == url
            if kind == "document":
                assert body[qtype]["filename"] == "send-report.pdf"
            assert f"message id {q.message_ids[-1]}" in p.stdout
        assert q.problems() == []
        assert srv.count("HEAD") == len(LINK_KINDS), "each link was verified"


@case
def lipachat_sends_links_of_every_kind():
    env = base_env()
    ca, srv = link_server(tmpdir())
    with srv, FakeLipachat(LIPA_KEY) as f:
        for kind, (make, extra, ctype, _, ltype) in LINK_KINDS.items():
            url = serve(srv, make(), ctype)
            p = send("--provider", "lipachat", "--to", TO, "--from",
                     "254110090747", "--api-base", f.url, "--link", url,
                     "--cacert", ca.ca, "--json", *extra, make(), env=env)
            expect(p, 0)
            body = f.sent[-1]
            assert body["mediaType"] == ltype and body["mediaUrl"] == url
            assert body["from"] == "254110090747" and body["to"] == TO
            out = json.loads(p.stdout)
            assert out["message_id"] == f.ids[body["messageId"]]
        assert f.problems() == []
        ids = [b["messageId"] for b in f.sent]
        assert len(set(ids)) == len(ids), "a new messageId for each message"


@case
def cache_hit_skips_the_upload():
    env = base_env()
    with FakeCloud(TOKEN, PHONE_ID) as f:
        media = f"/v21.0/{PHONE_ID}/media"
        p1 = send("--provider", "meta", "--to", TO, "--api-base", f.url,
                  "--json", image_jpg(), env=env)
        expect(p1, 0)
        first = json.loads(p1.stdout)
        assert f.count("POST", media) == 1 and not first["cache_hit"]
        p2 = send("--provider", "meta", "--to", TO, "--api-base", f.url,
                  "--json", "--resend", image_jpg(), env=env)
        expect(p2, 0)
        second = json.loads(p2.stdout)
        assert f.count("POST", media) == 1, "no upload the second time"
        assert second["cache_hit"] and second["media_id"] == first["media_id"]
        assert f.sent[-1]["image"]["id"] == first["media_id"]
        p3 = send("--provider", "meta", "--to", TO, "--api-base", f.url,
                  "--no-cache", "--resend", image_jpg(), env=env)
        expect(p3, 0)
        assert f.count("POST", media) == 2, "--no-cache uploads again"
        assert os.path.exists(os.path.join(env["XDG_CACHE_HOME"], "wa-preflight",
                                           "media-ids.sqlite"))
    with FakeCloud(TOKEN, PHONE_ID) as g:  # another base URL: another key
        p4 = send("--provider", "meta", "--to", TO, "--api-base", g.url,
                  "--resend", image_jpg(), env=env)
        expect(p4, 0)
        assert g.count("POST", f"/v21.0/{PHONE_ID}/media") == 1


@case
def stale_cached_id_is_uploaded_again():
    env = base_env()
    with FakeCloud(TOKEN, PHONE_ID) as f:
        expect(send("--provider", "meta", "--to", TO, "--api-base", f.url,
                    image_jpg(), env=env), 0)
        f.media.clear()  # the provider forgot the media (expired)
        p = send("--provider", "meta", "--to", TO, "--api-base", f.url,
                 "--json", "--resend", image_jpg(), env=env)
        expect(p, 0)
        assert f.count("POST", f"/v21.0/{PHONE_ID}/media") == 2
        assert json.loads(p.stdout)["media_id"] in f.media


@case
def concurrent_runs_share_the_cache():
    import concurrent.futures
    env = base_env()
    with FakeCloud(TOKEN, PHONE_ID) as f:
        def one(i):
            return send("--provider", "meta", "--to", f"1555000000{i}",
                        "--api-base", f.url, video_mp4(), env=env)
        with concurrent.futures.ThreadPoolExecutor(4) as ex:
            results = list(ex.map(one, range(4)))
        for p in results:
            expect(p, 0)
        assert f.problems() == []
        assert f.count("POST", f"/v21.0/{PHONE_ID}/messages") == 4
        # one file, four runs at once: one upload, the others use its id
        assert f.count("POST", f"/v21.0/{PHONE_ID}/media") == 1
        assert f.delivered == {f"1555000000{i}": 1 for i in range(4)}


@case
def non_compliant_input_is_converted_first():
    env = base_env()
    d = tmpdir()
    src = os.path.join(d, "alpha.png")
    shutil.copy(image_png_alpha(), src)
    before = read(src)
    with FakeCloud(TOKEN, PHONE_ID) as f:
        p = send("--provider", "meta", "--to", TO, "--api-base", f.url,
                 "--json", src, env=env)
        expect(p, 0)
        up = f.matching("POST", f"/v21.0/{PHONE_ID}/media")[0]
        assert up.parts["type"][0] == "image/jpeg"
        assert up.parts["file"][0][:3] == b"\xff\xd8\xff", "a JPEG was uploaded"
        assert json.loads(p.stdout)["plan"] != "none"
    assert read(src) == before, "the input is never modified"
    assert os.listdir(d) == ["alpha.png"], "nothing is written beside the input"
    tmp_empty(env)


finish()
