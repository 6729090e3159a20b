#!/usr/bin/env python3
"""Synthetic upload tree for scripts/bench-scale: one-second 16 kHz mono PCM WAV clips with sidecars.

Each clip is made from its own seed: a noise floor at about -80 dBFS, then two to four "syllables" of its own
at their own gains, separated by pauses, so clips pass the checks (speech activity, loudness, SNR). A syllable
is a voiced sound whose pitch wanders (jitter) under three formants on wandering paths, or one time in four a
fricative (noise through two wandering resonances), with a burst of noise before it.

Why syllables of the clip's own: until 2026-12 they came from a bank of 512 shared by all clips, and two clips
that drew the same one were near-copies to the fingerprint index, a share that grew with N (25% of the clips
at 50,000): a large tree's first run then spent most of its time confirming chance matches that real speech
(other speakers at a bit error rate of 0.38 or more) does not make. Smooth tones of one's own, without jitter or
wandering formants, still matched by chance (24% at 20,000). Now: 154 chance matches at 20,000 clips (0.8%)
and 553 at 50,000 (1.1%), all at similarity 0.84-0.88, just past the index's threshold.

Every 500th clip (i % 500 == 499) is a copy of clip i - 250, 3 dB quieter over its own noise floor: a fixed
0.2% of real near-duplicates (the index finds all 100 of 50,000). A speaker reads a sentence twice now and then
(same-speaker duplicates).
8 languages, speakers `spk-<k>` (k = i mod SPEAKERS, each speaker one language), sentences drawn at random
from data/cv-sentences/<lang>.txt.

Usage: make-scale-corpus.py ROOT FIRST COUNT [--speakers 5000] [--variant V] [--format wav|flac] [--complete]
  clips FIRST..FIRST+COUNT-1 are written as ROOT/<lang>/c<index>.wav (+ .json);
  --format flac writes the same samples as FLAC (c<index>.flac, about a third of the bytes: a tree, and the
  shards made from it, that fit a smaller disk at a million clips);
  --variant changes the audio of a clip without changing its name (a "changed upload");
  --complete: ROOT is a whole tree of COUNT clips (FIRST must be 0), made once: nothing is done when ROOT holds
  this generator's marker for COUNT clips; otherwise ROOT is removed, written and then marked.
"""
import argparse
import multiprocessing
import os
import shutil
import struct
import sys

import numpy as np

LANGS = ["en", "de", "fr", "es", "it", "nl", "pl", "pt"]
RATE = 16000
HERE = os.path.dirname(os.path.abspath(__file__))
TEXTS = {}


def sentences():
    out = {}
    for lang in LANGS:
        with open(os.path.join(HERE, "..", "data", "cv-sentences", lang + ".txt"), encoding="utf-8") as f:
            out[lang] = [line.strip() for line in f if line.strip() and not line.startswith("#")]
    return out


def wander(rng, length, start, spread, step=128):
    """A path from `start` that wanders by up to `spread` (relative) over the syllable, a new knot every 8 ms."""
    knots = start * np.exp(np.cumsum(rng.normal(0, spread, length // step + 2)))
    return np.interp(np.arange(length), np.arange(len(knots)) * step, knots)


def syllable(rng):
    """A syllable of a clip's own: a voiced sound whose pitch wanders (jitter, as a voice's does), shaped by three
    formants on their own wandering paths, with a burst of noise before it; or, one time in four, a fricative
    (noise through two wandering resonances)."""
    length = int(rng.uniform(0.12, 0.22) * RATE)
    n = np.arange(length)
    t = n / length
    formants = [
        (wander(rng, length, rng.uniform(250, 900), 0.05), rng.uniform(60, 160), 1.0),
        (wander(rng, length, rng.uniform(850, 2500), 0.05), rng.uniform(80, 200), rng.uniform(0.3, 0.9)),
        (wander(rng, length, rng.uniform(2100, 3400), 0.04), rng.uniform(120, 260), rng.uniform(0.1, 0.5)),
    ]
    if rng.random() < 0.25:
        # Noise shaped in the frequency domain, frame by frame (32 ms), by the resonances at that time.
        frame = 512
        out = np.zeros(length + frame)
        freqs = np.fft.rfftfreq(frame, 1 / RATE)
        for start in range(0, length, frame // 2):
            spectrum = np.fft.rfft(rng.normal(0, 1, frame))
            k = min(start, length - 1)
            shape = sum(g / (1 + ((freqs - path[k]) / w) ** 2) for path, w, g in formants[1:])
            out[start : start + frame] += np.fft.irfft(spectrum * shape, frame) * np.hanning(frame)
        tone = out[:length] * np.sin(np.pi * t)
    else:
        f0 = wander(rng, length, rng.uniform(90, 260), 0.03)
        phase = 2 * np.pi * np.cumsum(f0) / RATE
        # Harmonic h is the h-th power of the fundamental's phasor (products, not a sine per harmonic and sample).
        # Each harmonic's level (from the formants near it) is computed every 4 ms and held.
        z = np.exp(1j * phase).astype(np.complex64)
        top = max(1, min(30, int(3800 // f0.max())))
        coarse = np.arange(0, length, 64)
        h = np.arange(1, top + 1)[:, None]
        levels = sum(g / (1 + ((h * f0[coarse] - path[coarse]) / w) ** 2) for path, w, g in formants)
        levels = (levels * np.exp(1j * rng.uniform(0, 6.3, top))[:, None]).astype(np.complex64)
        power = np.ones(length, dtype=np.complex64)
        tone = np.zeros(length, dtype=np.complex64)
        for k in range(top):
            power *= z
            tone += np.repeat(levels[k], 64)[:length] * power
        tone = tone.imag.astype(np.float64)
        tone = tone * np.sin(np.pi * t) ** 2 * wander(rng, length, 1.0, 0.15)
    burst = int(rng.uniform(0.01, 0.03) * RATE)
    noise = rng.normal(0, 0.3, burst) * np.hanning(burst) * rng.uniform(0.02, 0.08)
    return np.concatenate([noise, tone / max(np.max(np.abs(tone)), 1e-9)])


def clip_samples(seed):
    """Two to four syllables of the clip's own at their own gains and pauses, over a noise floor."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1e-4, RATE)
    pos = int(rng.uniform(0.04, 0.12) * RATE)
    for _ in range(int(rng.integers(2, 5))):
        s = syllable(rng) * rng.uniform(0.1, 0.35)
        if pos + len(s) > RATE - 800:
            break
        x[pos : pos + len(s)] += s
        pos += len(s) + int(rng.uniform(0.06, 0.16) * RATE)
    x = np.clip(x, -1, 1)
    return (x * 32767).astype("<i2").tobytes()


def copy_samples(i, variant):
    """Clip i as a copy of clip i - 250: 3 dB quieter over its own noise floor (a near-duplicate)."""
    original = np.frombuffer(clip_samples((i - 250) * 1000 + variant), dtype="<i2") / 32767
    floor = np.random.default_rng(i * 1000 + variant).normal(0, 1e-4, RATE)
    return (np.clip(original * 10 ** (-3 / 20) + floor, -1, 1) * 32767).astype("<i2").tobytes()


def wav(pcm):
    header = b"RIFF" + struct.pack("<I", 36 + len(pcm)) + b"WAVE"
    header += b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, RATE, RATE * 2, 2, 16)
    return header + b"data" + struct.pack("<I", len(pcm)) + pcm


def flac(pcm):
    import io

    import soundfile

    out = io.BytesIO()
    soundfile.write(out, np.frombuffer(pcm, dtype="<i2"), RATE, format="FLAC", subtype="PCM_16")
    return out.getvalue()


def write(args):
    root, i, speakers, variant, form = args
    texts = TEXTS
    speaker = i % speakers
    lang = LANGS[speaker % len(LANGS)]
    pool = texts[lang]
    sentence = pool[int(np.random.default_rng(i + 7_000_000).integers(len(pool)))]
    base = os.path.join(root, lang, "c%08d" % i)
    pcm = copy_samples(i, variant) if i % 500 == 499 else clip_samples(i * 1000 + variant)
    with open(base + "." + form, "wb") as f:
        f.write(flac(pcm) if form == "flac" else wav(pcm))
    with open(base + ".json", "w", encoding="utf-8") as f:
        f.write(
            '{"sentence": %s, "client_id": "spk-%d", "consent": true, "license": "CC0-1.0"}\n'
            % (json_string(sentence), speaker)
        )


def json_string(s):
    import json

    return json.dumps(s, ensure_ascii=False)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("root")
    p.add_argument("first", type=int)
    p.add_argument("count", type=int)
    p.add_argument("--speakers", type=int, default=5000)
    p.add_argument("--variant", type=int, default=0)
    p.add_argument("--format", choices=["wav", "flac"], default="wav")
    p.add_argument("--complete", action="store_true")
    a = p.parse_args()
    marker = os.path.join(a.root, f".complete-v3-{a.count}" + ("" if a.format == "wav" else "-" + a.format))
    if a.complete:
        if a.first != 0:
            p.error("--complete makes a whole tree: FIRST must be 0")
        if os.path.exists(marker):
            return 0
        shutil.rmtree(a.root, ignore_errors=True)
        print(f"generating {a.count} clips in {a.root}…", file=sys.stderr)
    for lang in LANGS:
        os.makedirs(os.path.join(a.root, lang), exist_ok=True)
    global TEXTS
    TEXTS = sentences()  # inherited by the forked workers
    jobs = [(a.root, i, a.speakers, a.variant, a.format) for i in range(a.first, a.first + a.count)]
    if len(jobs) < 200:
        for j in jobs:
            write(j)
    else:
        with multiprocessing.Pool(os.cpu_count()) as pool:
            for _ in pool.imap_unordered(write, jobs, chunksize=200):
                pass
    if a.complete:
        open(marker, "w").close()


if __name__ == "__main__":
    sys.exit(main())
