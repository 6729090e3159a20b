#!/usr/bin/env python3
"""Synthetic upload tree for scripts/bench-scale: one-second 16 kHz mono PCM WAV clips with sidecars.

Each clip is made from its own seed: a noise floor at about -80 dBFS, then two to four "syllables" drawn
from a bank of 512 (a harmonic tone with its own pitch, glide and spectral tilt, amplitude-modulated, with a
burst of noise before it) at their own gains, separated by pauses, so clips pass the checks (speech
activity, loudness, SNR). Each use of a bank syllable is stretched, tilted and given a random envelope; even
so the fingerprint index finds some clips to be near-duplicates (measured: 101 of 3,000 clips; the share
grows with N), and a speaker reads a sentence twice now and then (same-speaker duplicates).
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


def syllable(seed):
    """One of the bank's syllables: a harmonic tone with its own pitch, glide and tilt, a noise burst before it."""
    rng = np.random.default_rng(10_000_000 + seed)
    length = int(rng.uniform(0.12, 0.22) * RATE)
    n = np.arange(length)
    f0 = rng.uniform(90, 260) * (1 + rng.uniform(-0.25, 0.25) * n / length)
    phase = 2 * np.pi * np.cumsum(f0) / RATE
    tone = np.zeros(length)
    tilt = rng.uniform(0.5, 1.5)
    for h in range(1, 16):
        if f0[0] * h > 3800:
            break
        tone += rng.uniform(0.2, 1.0) / h**tilt * np.sin(h * phase + rng.uniform(0, 6.3))
    envelope = np.sin(np.pi * n / length) ** 2 * (1 + 0.4 * np.sin(2 * np.pi * rng.uniform(15, 40) * n / RATE))
    burst = int(rng.uniform(0.01, 0.03) * RATE)
    noise = rng.normal(0, 0.3, burst) * np.hanning(burst) * rng.uniform(0.02, 0.08)
    return np.concatenate([noise, tone * envelope / np.max(np.abs(tone))])


BANK = []  # built once per process: SYLLABLES distinct syllables, composed cheaply into clips
SYLLABLES = 512


def clip_samples(seed):
    """Two to four syllables of the bank at their own gains and pauses, over a noise floor: cheap to make, and
    distinct clips (the same syllable sequence at the same offsets is rare)."""
    if not BANK:
        BANK.extend(syllable(k) for k in range(SYLLABLES))
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1e-4, RATE)
    pos = int(rng.uniform(0.04, 0.12) * RATE)
    for _ in range(int(rng.integers(2, 5))):
        # A bank syllable made this clip's own: stretched in pitch and time (0.75-1.33), tilted, and shaped by a
        # random envelope (a new level every 8 ms): the fingerprint follows band energies over time, so
        # two clips that share a bank syllable are still different recordings to it.
        bank = BANK[int(rng.integers(SYLLABLES))]
        stretch = rng.uniform(0.75, 1.33)
        s = np.interp(np.arange(0, len(bank) - 1, stretch), np.arange(len(bank)), bank)
        s = s + rng.uniform(-0.9, 0.9) * np.concatenate([[0.0], s[:-1]])
        knots = rng.uniform(0.05, 1.0, len(s) // 128 + 2)
        s = s * np.interp(np.arange(len(s)), np.arange(len(knots)) * 128, knots)
        s = s / max(np.max(np.abs(s)), 1e-9) * rng.uniform(0.1, 0.35)
        if pos + len(s) > RATE - 800:
            break
        x[pos : pos + len(s)] += s
        pos += len(s) + int(rng.uniform(0.06, 0.16) * RATE)
    x = np.clip(x, -1, 1)
    return (x * 32767).astype("<i2").tobytes()


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
    pcm = clip_samples(i * 1000 + variant)
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
    marker = os.path.join(a.root, f".complete-v2-{a.count}" + ("" if a.format == "wav" else "-" + a.format))
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
