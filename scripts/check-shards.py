#!/usr/bin/env python3
"""Reads voxgate shards the way an ML team would, and prints what it found as JSON.

Usage: check-shards.py SHARD.tar [...]

Each shard is opened with the `webdataset` library (falling back to Python's `tarfile` when it is
not installed); every sample's audio member is decoded with `soundfile` and its JSON member parsed.
Exits non-zero if a sample lacks audio or JSON, has a key with a dot, or does not decode.
"""
import io
import json
import sys

import soundfile

AUDIO_EXTENSIONS = {"wav", "flac", "mp3", "ogg", "opus", "aiff"}


def samples_with_webdataset(path):
    import webdataset as wds

    # No decoding by webdataset itself: raw bytes per member extension, keyed like WebDataset does.
    for sample in wds.WebDataset(path, shardshuffle=False, empty_check=False):
        yield sample["__key__"], {k: v for k, v in sample.items() if not k.startswith("__")}


def samples_with_tarfile(path):
    import tarfile

    groups = {}
    order = []
    with tarfile.open(path) as tar:
        for member in tar:
            key, _, ext = member.name.partition(".")
            if key not in groups:
                groups[key] = {}
                order.append(key)
            groups[key][ext] = tar.extractfile(member).read()
    for key in order:
        yield key, groups[key]


def main(paths):
    try:
        import webdataset  # noqa: F401

        reader, reader_name = samples_with_webdataset, "webdataset"
    except ImportError:
        reader, reader_name = samples_with_tarfile, "tarfile"
    result = {"reader": reader_name, "shards": {}}
    failures = 0
    for path in paths:
        samples = []
        for key, members in reader(path):
            audio_ext = [e for e in members if e in AUDIO_EXTENSIONS]
            problems = []
            if "." in key:
                problems.append("key contains a dot")
            if len(audio_ext) != 1 or "json" not in members:
                problems.append(f"members {sorted(members)}: expected one audio member and json")
            entry = {"key": key, "members": sorted(members)}
            if not problems:
                entry["json"] = json.loads(members["json"])
                try:
                    data, rate = soundfile.read(io.BytesIO(members[audio_ext[0]]), dtype="float32", always_2d=True)
                    entry.update(audio=audio_ext[0], frames=int(data.shape[0]), sample_rate=int(rate),
                                 channels=int(data.shape[1]))
                except Exception as error:  # noqa: BLE001 - reported, not hidden
                    problems.append(f"soundfile cannot decode {audio_ext[0]}: {error}")
            if problems:
                entry["problems"] = problems
                failures += 1
            samples.append(entry)
        result["shards"][path] = samples
    json.dump(result, sys.stdout, ensure_ascii=False)
    print()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
