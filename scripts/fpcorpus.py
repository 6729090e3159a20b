"""The fingerprint test corpus outside Swift: the clips and transformed copies of Tests/VoxgateTests/Support/
FingerprintFixtures.swift, made with the same espeak-ng, sox and ffmpeg commands, for
scripts/compare-fingerprints (voxgate against Chromaprint) and offline analysis of sub-fingerprint statistics.

Keep in step with FingerprintFixtures.swift: same sentences, voices, segments and transformation commands.
"""
import concurrent.futures
import os
import subprocess
import zlib

import numpy as np

# Real recordings from Debian packages (scripts/setup --test installs them), as Tests/VoxgateTests/Support/RealSpeech.swift.
ALSA = "/usr/share/sounds/alsa"
ALSA_SPEECH = [os.path.join(ALSA, n + ".wav") for n in (
    "Front_Center", "Front_Left", "Front_Right", "Rear_Center", "Rear_Left", "Rear_Right", "Side_Left", "Side_Right")]
KLETTRES = "/usr/share/klettres"
ALPHABET_LANGUAGES = ["ar", "de", "en", "fr", "he", "hu", "lt", "nl", "ru", "uk"]

SENTENCES = [
    "Yes, thank you.",
    "Please call Stella.",
    "The library opens at nine every morning.",
    "Ask her to bring these things with her from the store.",
    "A large size in stockings is hard to sell, and the shop keeper knows it well enough.",
    "When the sunlight strikes raindrops in the air, they act as a prism and form a rainbow, which is a division "
    "of white light into many beautiful colors.",
]
VOICES = ["en", "en-us+f3", "en-gb-scotland+m3", "en+f5"]
MORE_SENTENCES = [
    "The birch canoe slid on the smooth planks.", "Glue the sheet to the dark blue background.",
    "It's easy to tell the depth of a well.", "These days a chicken leg is a rare dish.",
    "Rice is often served in round bowls.", "The juice of lemons makes fine punch.",
    "The box was thrown beside the parked truck.", "The hogs were fed chopped corn and garbage.",
    "Four hours of steady work faced us.", "A large size in stockings is hard to sell.",
    "The boy was there when the sun rose.", "A rod is used to catch pink salmon.",
    "The source of the huge river is the clear spring.", "Kick the ball straight and follow through.",
    "Help the woman get back to her feet.", "A pot of tea helps to pass the evening.",
    "Smoky fires lack flame and heat.", "The soft cushion broke the man's fall.",
    "The salt breeze came across from the sea.", "The girl at the booth sold fifty bonds.",
    "Yes.", "Good morning.", "Thank you very much.", "Where is the station?",
]
MORE_VOICES = ["en", "en-us+f3", "en-gb-scotland+m3", "en+f5", "en-us+m7", "en-gb-x-rp+f2"]

FF = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y"]
TRANSFORMATIONS = {
    "mp3 32 kb/s": ("mp3", lambda i, s, o: [FF + ["-i", i, "-c:a", "libmp3lame", "-b:a", "32k", o]]),
    "mp3 64 kb/s": ("mp3", lambda i, s, o: [FF + ["-i", i, "-c:a", "libmp3lame", "-b:a", "64k", o]]),
    "opus 24 kb/s": ("opus", lambda i, s, o: [FF + ["-i", i, "-c:a", "libopus", "-b:a", "24k", o]]),
    "resampled 48 kHz": ("wav", lambda i, s, o: [["sox", i, "-r", "48000", o]]),
    "resampled 44.1 kHz": ("wav", lambda i, s, o: [["sox", i, "-r", "44100", o]]),
    "resampled 16 kHz": ("wav", lambda i, s, o: [["sox", i, "-r", "16000", o]]),
    "resampled 8 kHz": ("wav", lambda i, s, o: [["sox", i, "-r", "8000", o]]),
    "gain +6 dB": ("wav", lambda i, s, o: [["sox", "-D", i, o, "gain", "6"]]),
    "gain -12 dB": ("wav", lambda i, s, o: [["sox", i, o, "gain", "-12"]]),
    "400/300 ms silence added": ("wav", lambda i, s, o: [["sox", i, o, "pad", "0.4", "0.3"]]),
    "250/150 ms trimmed": ("wav", lambda i, s, o: [["sox", i, o, "trim", "0.25", "-0.15"]]),
    "stereo mixed down": ("wav", lambda i, s, o: [FF + ["-i", s, "-ac", "1", o]]),
    "left channel of stereo": ("wav", lambda i, s, o: [["sox", s, o, "remix", "1"]]),
    "white noise at 30 dB SNR": ("wav", None),
}
STEREO = {"stereo mixed down", "left channel of stereo"}


def run(cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def pmap(fn, items, workers=2):
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        return list(pool.map(fn, items))


def slug(text):
    return "".join(c if c.isalnum() else "_" for c in text)


def speech_clips(d):
    """espeak-ng: every sentence in the first voice, and a few in the others (FingerprintFixtures.speechClips)."""
    jobs = [(f"espeak-{v}-s{s}", v, t) for s, t in enumerate(SENTENCES) for k, v in enumerate(VOICES)
            if k == 0 or s % 2 == k % 2]
    return pmap(lambda j: _espeak(d, *j), jobs)


def distinct_clips(d):
    """Every sentence of MORE_SENTENCES by every voice of MORE_VOICES: names v<voice>-s<sentence>."""
    jobs = [(f"v{k}-s{s}", v, t) for s, t in enumerate(MORE_SENTENCES) for k, v in enumerate(MORE_VOICES)]
    return pmap(lambda j: _espeak(d, *j), jobs)


def _espeak(d, name, voice, text):
    path = os.path.join(d, name + ".wav")
    if not os.path.exists(path):
        run(["espeak-ng", "-v", voice, "-w", path, text])
    return (name, path)


def _concatenate(files, out, seconds=10):
    """One speaker's long recording: files at 44.1 kHz mono, silence under -45 dBFS trimmed with 0.15 s left after
    each, concatenated, at most `seconds` (as RealSpeech.concatenate in the Swift tests)."""
    parts = []
    for i, f in enumerate(files):
        part = f"{out}.part{i}.wav"
        run(["sox", f, "-b", "16", part, "remix", "-", "rate", "44100", "silence", "1", "0.01", "-45d", "reverse",
             "silence", "1", "0.01", "-45d", "reverse", "pad", "0", "0.15"])
        parts.append(part)
    run(["sox"] + parts + [out, "trim", "0", str(seconds)])
    for part in parts:
        os.remove(part)


def real_clips(d):
    """The long real recordings (the alsa-utils words read through; each klettres alphabet language read
    through), each whole (10 s) and a 2 s piece of each from 1 s in (named -1.2s, as the Swift fixtures)."""
    if not all(os.path.exists(f) for f in ALSA_SPEECH) or not os.path.isdir(KLETTRES):
        raise SystemExit("fpcorpus: alsa-utils and klettres-data are not installed (scripts/setup --test installs them)")
    jobs = [("en-alsa", ALSA_SPEECH)]
    for lang in ALPHABET_LANGUAGES:
        folder = os.path.join(KLETTRES, lang, "alpha")
        jobs.append((lang + "-alphabet", [os.path.join(folder, f) for f in sorted(os.listdir(folder)) if f.endswith(".ogg")]))

    def make(j):
        name, files = j
        path = os.path.join(d, name + ".wav")
        if not os.path.exists(path):
            _concatenate(files, path)
        piece = os.path.join(d, name + "-1.2s.wav")
        if not os.path.exists(piece):
            run(["sox", path, piece, "trim", "1", "2"])
        return [(name + "-full", path), (name + "-1.2s", piece)]

    made = pmap(make, jobs)
    return [c[0] for c in made] + [c[1] for c in made]


def recording(name):
    """A 1.2 s piece and its whole recording are one recording."""
    for suffix in ("-1.2s", "-full"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def transform(d, clip, t):
    """(original, copy) paths: for the channel transformations the original is a stereo version whose right
    channel is a quieter pickup 0.25 ms later."""
    name, path = clip
    ext, make = TRANSFORMATIONS[t]
    copy = os.path.join(d, f"{name}-{slug(t)}.{ext}")
    original, stereo = path, ""
    if t in STEREO:
        stereo = os.path.join(d, f"{name}-{slug(t)}-stereo.wav")
        if not os.path.exists(stereo):
            run(["sox", path, stereo, "remix", "1", "1v0.8", "delay", "0", "0.00025"])
        original = stereo
    if not os.path.exists(copy):
        if make is None:
            add_noise(path, 30, copy)
        else:
            for cmd in make(path, stereo, copy):
                run(cmd)
    return original, copy


def add_noise(path, snr_db, out):
    """White noise snr_db below the active speech power (20 ms frames within 25 dB of the 95th percentile), as
    FingerprintFixtures.addNoise does (its own noise generator: the same level, not the same samples)."""
    import soundfile

    x, rate = soundfile.read(path, dtype="float32", always_2d=True)
    mono = x.mean(axis=1)
    n = rate // 50
    frames = np.array([np.mean(mono[i:i + n].astype(np.float64) ** 2) for i in range(0, len(mono) - n, n)])
    loud = np.sort(frames)[int((len(frames) - 1) * 0.95)]
    power = frames[frames >= loud * 10 ** (-2.5)].mean()
    gain = np.sqrt(3 * power / 10 ** (snr_db / 10))
    rng = np.random.default_rng(zlib.crc32(path.encode()))
    noisy = mono + gain * rng.uniform(-1, 1, len(mono))
    soundfile.write(out, noisy.astype(np.float32), rate, subtype="FLOAT")
