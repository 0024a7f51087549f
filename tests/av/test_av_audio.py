# SPDX-License-Identifier: LGPL-2.1-or-later
"""Audio and voice conversion through `wa-preflight convert`: Ogg/Opus
mono by default, AAC-LC stereo M4A with --stereo, voice notes sized for
the play icon; outputs inspected with ffprobe."""
import os

from wapftest import *  # noqa: F401,F403
from avinspect import check_m4a_aac, check_ogg_opus_mono, probe, sha256

OUT = tmpdir()
FF = "ffmpeg -nostdin -v error -y"


def convert(src, name, *extra, rc=0):
    out = os.path.join(OUT, name)
    p, js = run_json("convert", "--json", "--force", "-o", out, *extra, src)
    assert p.returncode == rc, f"exit {p.returncode}: {p.stdout} {p.stderr}"
    return out, js["files"][0]


def seconds(path):
    return float(probe(path)["format"]["duration"])


@case
def corpus_audio_to_ogg_opus_mono():
    for rel in ("audio/wav_pcm24_22khz_mono.wav", "audio/flac_16bit_48k_embedded_picture.flac",
                "audio/oga_vorbis_96khz_stereo.oga", "audio/wma_v2_48k_stereo.wma",
                "audio/amr_nb_voice_8k.3gp", "audio/wav_pcm16_192khz_mono.wav",
                "audio/wav_extensible_float32_51.wav", "audio/m4a_alac_16bit_stereo.m4a",
                "audio/wav_ima_adpcm_44k.wav"):
        src = corpus(rel)
        digest = sha256(src)
        out, js = convert(src, os.path.basename(rel) + ".ogg")
        assert js["action"] == "encode-audio", (rel, js)
        assert js["kind"] == "audio", js
        check_ogg_opus_mono(out, duration=seconds(src), tol=0.1)
        assert sha256(src) == digest


@case
def stereo_option_gives_m4a_aac():
    src = corpus("audio/wav_rf64_48k_stereo.wav")
    out, js = convert(src, "rf64.m4a", "--stereo")
    assert js["action"] == "encode-audio", js
    check_m4a_aac(out, channels=2, duration=seconds(src), tol=0.1)


@case
def stereo_downmixes_51():
    src = corpus("audio/wav_extensible_float32_51.wav")
    out, _ = convert(src, "51.m4a", "--stereo")
    check_m4a_aac(out, channels=2, duration=seconds(src), tol=0.1)


@case
def two_tracks_audio_track_option():
    src = corpus("audio/mp4_two_audio_tracks_ac3_51_and_aac.mp4")
    out, js = convert(src, "two1.m4a", "--stereo", "--audio-track", "1")
    assert js["action"] == "encode-audio", js
    check_m4a_aac(out, channels=2)


@case
def voice_note_under_play_icon_size():
    src = fixture("av_voice20.wav",
                  FF + " -f lavfi -i anoisesrc=c=pink:r=16000:a=0.3 -af "
                  "\"bandpass=f=900:w=700,volume='0.4+0.4*sin(2*PI*3*t)':eval=frame\" "
                  "-t 20 -ac 1 {out}")
    out, js = convert(src, "voice.ogg", "--as", "voice")
    assert js["kind"] == "voice" and js["action"] == "encode-audio", js
    check_ogg_opus_mono(out, duration=20.0, tol=0.1, limit=512_000)


@case
def compliant_voice_is_copied():
    src = corpus("audio/opus_mono_48k_voice_note_like.opus")
    out, js = convert(src, "v.opus", "--as", "voice")
    assert js["action"] == "none", js
    assert sha256(out) == sha256(src)


@case
def audio_trim():
    src = fixture("av_tone5.flac", FF + " -f lavfi -i sine=f=500:r=44100 -t 5 {out}")
    out, _ = convert(src, "trim.ogg", "--start", "1.5", "--duration", "2")
    check_ogg_opus_mono(out, duration=2.0, tol=0.06)


@case
def audio_of_a_video_as_audio():
    src = fixture("av_clip.mkv",
                  FF + " -f lavfi -i testsrc2=s=160x120:r=10 -f lavfi -i sine=r=44100 "
                  "-t 2 -c:v libx264 -c:a flac {out}")
    out, js = convert(src, "clip.ogg", "--as", "audio")
    assert js["action"] == "encode-audio", js
    check_ogg_opus_mono(out, duration=2.0, tol=0.1)


finish()
