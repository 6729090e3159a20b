#!/usr/bin/env python3
"""Loads a voxgate release's manifests (<out>/manifests/<tag>/) the way ML teams do, and prints a JSON summary.

Usage: check-manifests.py OUTPUT_FOLDER

- Hugging Face: every split of every language through `datasets.load_dataset("webdataset", data_files=…)`
  (files from huggingface.json), kept to the split by the samples' `json.split`, every sample's audio decoded
  through the `Audio` feature; counts must match the manifest's.
- NeMo (nemo-toolkit is too heavy to install here): a checker of NeMo's tarred-manifest rules, namely JSON
  lines with `audio_filepath` (str), `duration` (number > 0), `text` (str) and `lang`; unique file ids
  (member base name without extension, which NeMo's tarred datasets key on); `tarred_audio_filepaths` expanded
  as NeMo's `expand_sharded_filepaths` does (`_OP_`/`(`/`[`/`<` → `{`, `_CL_`/`)`/`]`/`>` → `}`, then
  brace expansion); every tar exists and holds each entry's audio as a member with an extension NeMo reads;
  the audio decodes to `duration` (within 10 ms).
- Lhotse (it needs torch to import, too heavy here): a checker against `Recording.to_dict()` /
  `SupervisionSegment.to_dict()` fields, whose `command` sources are run (from the output folder) and
  decoded; `num_samples` must equal the decoded frames and `duration` = num_samples / sampling_rate.
Exits non-zero, listing every violation, if anything fails.
"""
import glob
import gzip
import io
import json
import os
import re
import subprocess
import sys
import tarfile

import soundfile

NEMO_AUDIO = {"wav", "mp3", "flac", "opus", "ogg"}
errors = []


def fail(msg):
    errors.append(msg)


def brace_expand(pattern):
    """Bash-style brace expansion ({a,b} lists, {000..003} zero-padded ranges), as the braceexpand package does."""
    depth, start = 0, None
    for i, c in enumerate(pattern):
        if c == "{":
            if depth == 0:
                start = i
            depth += 1
        elif c == "}" and depth:
            depth -= 1
            if depth == 0:
                body, head, tail = pattern[start + 1 : i], pattern[:start], pattern[i + 1 :]
                m = re.fullmatch(r"(\d+)\.\.(\d+)", body)
                if m:
                    a, b = m.groups()
                    width = len(a) if a.startswith("0") else 0
                    options = [str(n).zfill(width) for n in range(int(a), int(b) + 1)]
                else:
                    options, d, last = [], 0, 0
                    for j, ch in enumerate(body):
                        d += ch == "{"
                        d -= ch == "}"
                        if ch == "," and d == 0:
                            options.append(body[last:j])
                            last = j + 1
                    options.append(body[last:])
                    if len(options) == 1:
                        return [head + "{" + x + "}" + t for x in brace_expand(body) for t in brace_expand(tail)]
                return [head + x + t for o in options for x in brace_expand(o) for t in brace_expand(tail)]
    return [pattern]


def nemo_expand(path):
    path = re.sub(r"\(|\[|<|_OP_", "{", path)
    path = re.sub(r"\)|\]|>|_CL_", "}", path)
    return brace_expand(path)


def tar_members(path, cache={}):
    if path not in cache:
        with tarfile.open(path) as tar:
            cache[path] = {m.name: tar.extractfile(m).read() for m in tar}
    return cache[path]


def check_nemo(out, lang, split, summary):
    base = f"{out}/manifests/{lang}/nemo/{split}"
    pattern = open(base + ".tars").read().strip()
    tars = nemo_expand(pattern)
    members = {}
    for t in tars:
        if not os.path.exists(os.path.join(out, t)):
            fail(f"nemo {lang}/{split}: tarred_audio_filepaths names {t}, which does not exist")
            continue
        for name, data in tar_members(os.path.join(out, t)).items():
            members[os.path.splitext(os.path.basename(name))[0] + "|" + name.rsplit(".", 1)[-1]] = data
    ids = set()
    n = 0
    for line in open(base + ".json", encoding="utf-8"):
        e = json.loads(line)
        n += 1
        for field, kind in (("audio_filepath", str), ("text", str), ("lang", str), ("duration", (int, float))):
            if not isinstance(e.get(field), kind):
                fail(f"nemo {lang}/{split}: {field} missing or of the wrong type in {e}")
        if not e["duration"] > 0:
            fail(f"nemo {lang}/{split}: duration {e['duration']} not positive")
        file_id, ext = os.path.splitext(os.path.basename(e["audio_filepath"]))
        if file_id in ids:
            fail(f"nemo {lang}/{split}: file id {file_id} twice")
        ids.add(file_id)
        if ext[1:] not in NEMO_AUDIO:
            fail(f"nemo {lang}/{split}: {e['audio_filepath']} is not a format NeMo reads from tars")
        data = members.get(file_id + "|" + ext[1:])
        if data is None:
            fail(f"nemo {lang}/{split}: {e['audio_filepath']} is in none of {pattern}")
            continue
        info = soundfile.info(io.BytesIO(data))
        if abs(info.frames / info.samplerate - e["duration"]) > 0.01:
            fail(f"nemo {lang}/{split}: {e['audio_filepath']} decodes to {info.frames / info.samplerate} s, not {e['duration']}")
    summary["nemo"] = summary.get("nemo", 0) + n


def check_lhotse(out, lang, split, summary):
    rec_path = f"{out}/manifests/{lang}/lhotse/{lang}_recordings_{split}.jsonl.gz"
    sup_path = f"{out}/manifests/{lang}/lhotse/{lang}_supervisions_{split}.jsonl.gz"
    recordings = {}
    for line in gzip.open(rec_path, "rt", encoding="utf-8"):
        r = json.loads(line)
        allowed = {"id", "sources", "sampling_rate", "num_samples", "duration", "channel_ids", "transforms", "custom"}
        if set(r) - allowed or not {"id", "sources", "sampling_rate", "num_samples", "duration"} <= set(r):
            fail(f"lhotse {lang}/{split}: recording fields {sorted(r)}")
            continue
        if r["id"] in recordings:
            fail(f"lhotse {lang}/{split}: recording id {r['id']} twice")
        recordings[r["id"]] = r
        if abs(r["duration"] - r["num_samples"] / r["sampling_rate"]) > 1e-6:
            fail(f"lhotse {lang}/{split}: {r['id']} duration != num_samples / sampling_rate")
        for s in r["sources"]:
            if set(s) - {"type", "channels", "source", "video"} or s["type"] not in ("file", "command", "url", "memory", "shar"):
                fail(f"lhotse {lang}/{split}: source {s}")
                continue
            data = subprocess.run(s["source"], shell=True, cwd=out, capture_output=True).stdout
            try:
                audio, rate = soundfile.read(io.BytesIO(data), always_2d=True)
            except Exception as e:  # noqa: BLE001
                fail(f"lhotse {lang}/{split}: {r['id']}: {s['source']} does not decode ({e})")
                continue
            if audio.shape[0] != r["num_samples"] or rate != r["sampling_rate"] or audio.shape[1] != len(s["channels"]):
                fail(f"lhotse {lang}/{split}: {r['id']}: decoded {audio.shape} at {rate} Hz, manifest says "
                     f"{r['num_samples']} x {len(s['channels'])} at {r['sampling_rate']}")
    n = 0
    for line in gzip.open(sup_path, "rt", encoding="utf-8"):
        s = json.loads(line)
        n += 1
        required = {"id", "recording_id", "start", "duration"}
        allowed = required | {"channel", "text", "language", "speaker", "gender", "custom", "alignment"}
        if not required <= set(s) or set(s) - allowed:
            fail(f"lhotse {lang}/{split}: supervision fields {sorted(s)}")
            continue
        r = recordings.get(s["recording_id"])
        if r is None:
            fail(f"lhotse {lang}/{split}: supervision {s['id']} names no recording")
        elif s["start"] < 0 or s["start"] + s["duration"] > r["duration"] + 1e-6:
            fail(f"lhotse {lang}/{split}: supervision {s['id']} runs past its recording")
        for field in ("text", "language", "speaker"):
            if not isinstance(s.get(field), str) or not s[field]:
                fail(f"lhotse {lang}/{split}: supervision {s['id']} has no {field}")
    if n != len(recordings):
        fail(f"lhotse {lang}/{split}: {n} supervisions for {len(recordings)} recordings")
    summary["lhotse"] = summary.get("lhotse", 0) + n


def check_hf(out, lang, hf, summary):
    import datasets

    if not hf["loadable"]:
        # Mixed member types: the webdataset builder infers one set of columns from the first samples and
        # refuses shards whose first samples differ, so the manifest offers no HF load; nothing to load here.
        if "why_not" not in hf:
            fail(f"hf {lang}: not loadable, with no reason given")
        summary["hf_not_loadable"] = summary.get("hf_not_loadable", 0) + 1
        return

    datasets.disable_progress_bars()
    for split, files in hf["data_files"].items():
        ds = datasets.load_dataset(
            "webdataset", data_files={split: [os.path.join(out, f) for f in files]}, split=split,
            cache_dir=os.path.join(out, ".hf-cache"))
        ds = ds.filter(lambda j: j["split"] == split, input_columns="json")
        audio_columns = [c for c, f in ds.features.items() if isinstance(f, datasets.Audio)]
        if not audio_columns:
            fail(f"hf {lang}/{split}: no Audio feature among {list(ds.features)}")
        n = 0
        for sample in ds:
            n += 1
            decoded = [sample[c] for c in audio_columns if sample[c] is not None]
            if len(decoded) != 1 or len(decoded[0]["array"]) == 0:
                fail(f"hf {lang}/{split}: {sample['__key__']} has {len(decoded)} decoded audio members")
                continue
            a = decoded[0]
            j = sample["json"]
            want = j.get("audio_frames", j["frames"])
            if len(a["array"]) != want:
                fail(f"hf {lang}/{split}: {sample['__key__']} decodes to {len(a['array'])} frames, not {want}")
        if n != hf["samples"][split]:
            fail(f"hf {lang}/{split}: {n} samples loaded, the manifest counts {hf['samples'][split]}")
        summary["hf"] = summary.get("hf", 0) + n
        summary["hf_version"] = datasets.__version__


def main(out):
    summary = {}
    for hf_path in sorted(glob.glob(f"{out}/manifests/*/huggingface.json")):
        lang = hf_path.split("/")[-2]
        hf = json.load(open(hf_path))
        for split in hf["data_files"]:
            check_nemo(out, lang, split, summary)
            check_lhotse(out, lang, split, summary)
        if os.environ.get("VOXGATE_CHECK_HF", "1") == "1":
            check_hf(out, lang, hf, summary)
    summary["errors"] = errors
    print(json.dumps(summary))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
