#!/usr/bin/env python3
"""Trains voxgate's text language identifier: character 1–3-gram naive Bayes over Common Voice's CC0
sentences (data/cv-sentences/, committed, one file per locale), holding out the last HOLDOUT lines of
every file for evaluation.

Writes Sources/VoxgateCorpus/Language/LIDModelData.swift (compiled in) and prints, on the held-out
sentences, per-language accuracy and the language pairs it cannot tell apart (confused in more than
CONFUSABLE of one language's sentences, either way): the check never flags a mismatch between those.
Usage: scripts/train-lid.py [DATA_DIR] [OUTPUT_FILE]   (defaults: data/, Sources/VoxgateCorpus/Language/LIDModelData.swift)
"""
import collections
import math
import os
import sys
import unicodedata

from unicode_scripts import script_of

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "data")
OUT = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "Sources", "VoxgateCorpus", "Language", "LIDModelData.swift")
HOLDOUT = 200      # held-out lines per language (fewer for small files: a fifth of them)
TOP = 600          # n-grams kept per language
ALPHA = 0.5        # additive smoothing
STEP = 0.25        # log-probability quantum (nats) in the shipped model
CONFUSABLE = 0.02  # pair confusion rate above which two languages are "cannot tell apart"


def normalise(text):
    text = unicodedata.normalize("NFC", text).lower()
    return " " + " ".join("".join(c if c.isalpha() else " " for c in text).split()) + " "


def grams(text):
    t = normalise(text)
    for n in (1, 2, 3):
        for i in range(len(t) - n + 1):
            g = t[i:i + n]
            if g.strip():
                yield g


def dominant_script(text):
    counts = collections.Counter(s for s in (script_of(c) for c in text if c.isalpha()) if s)
    return counts.most_common(1)[0][0] if counts else None


def main():
    folder = os.path.join(SHARED, "cv-sentences")
    data = {}
    for name in sorted(os.listdir(folder)):
        if name.endswith(".txt"):
            lines = [l.strip() for l in open(os.path.join(folder, name), encoding="utf-8") if l.strip()]
            held = min(HOLDOUT, len(lines) // 5)
            if len(lines) >= 150:
                data[name[:-4]] = (lines[:-held], lines[-held:])
    langs = sorted(data)
    # Each language competes only on text in its own scripts (≥ 5% of its training letters): the script
    # check handles other scripts, and this keeps e.g. Chinese from losing to a small Bengali model.
    lang_scripts = {}
    for lang in langs:
        counts = collections.Counter(s for s in (script_of(c) for line in data[lang][0][:3000] for c in line if c.isalpha()) if s)
        total = sum(counts.values())
        lang_scripts[lang] = sorted(sc for sc, n in counts.items() if n / total >= 0.05)
    model = {}
    floors = {}
    for lang in langs:
        counts = collections.Counter(g for line in data[lang][0] for g in grams(line))
        total = sum(counts.values())
        vocab = len(counts) + 1
        denom = total + ALPHA * vocab
        floors[lang] = math.log(ALPHA / denom)
        for g, c in counts.most_common(TOP):
            model.setdefault(g, {})[lang] = math.log((c + ALPHA) / denom)

    def q(x):
        return max(0, min(255, round(-x / STEP)))

    # Evaluate with the quantised model, exactly as Swift will score.
    # One floor for every language: per-language floors favour the languages with the least data.
    common_floor = sorted(floors.values())[len(floors) // 2]
    qfloor = {l: q(common_floor) for l in langs}
    qmodel = {g: {l: q(v) for l, v in e.items()} for g, e in model.items()}
    index = {l: i for i, l in enumerate(langs)}

    def scores(text):
        script = dominant_script(text)
        s = [0 if script in lang_scripts[l] else -10**9 for l in langs]
        for g in grams(text):
            entry = qmodel.get(g)
            for l in langs:
                s[index[l]] -= (entry.get(l, qfloor[l]) if entry else qfloor[l])
        return s

    confusion = collections.Counter()
    correct = collections.Counter()
    for lang in langs:
        for line in data[lang][1]:
            s = scores(line)
            best = langs[max(range(len(langs)), key=lambda i: s[i])]
            confusion[(lang, best)] += 1
            correct[lang] += best == lang
    pairs = set()
    for (a, b), n in confusion.items():
        if a != b and n / len(data[a][1]) > CONFUSABLE:
            pairs.add(tuple(sorted((a, b))))
    print(f"{len(langs)} languages, {len(model)} n-grams; held-out accuracy "
          f"{sum(correct.values()) / sum(len(data[l][1]) for l in langs):.3f}", file=sys.stderr)
    for lang in langs:
        worst = [(b, n) for (a, b), n in confusion.most_common() if a == lang and b != lang][:3]
        h = len(data[lang][1])
        print(f"  {lang:10} {correct[lang] / h:.3f}  " + ", ".join(f"{b} {n / h:.1%}" for b, n in worst),
              file=sys.stderr)
    print("cannot tell apart: " + " ".join(f"{a}/{b}" for a, b in sorted(pairs)), file=sys.stderr)

    # The flagging rule, as Swift applies it: the best language is not the claimed one, the two are not a
    # confusable pair, and the best beats the claimed one by at least TAU quanta per n-gram.
    def margin(text, claimed):
        sc = scores(text)
        best = max(range(len(langs)), key=lambda i: sc[i])
        n = max(1, sum(1 for _ in grams(text)))
        if best == index[claimed] or tuple(sorted((langs[best], claimed))) in pairs:
            return None
        return (sc[best] - sc[index[claimed]]) / n

    own = {l: [margin(t, l) for t in data[l][1]] for l in langs}
    family = {l: lang_scripts[l][0] if lang_scripts[l] else "?" for l in langs}
    tau = 0.0
    while True:
        flagged = collections.Counter()
        total = collections.Counter()
        for l in langs:
            total[family[l]] += len(own[l])
            flagged[family[l]] += sum(1 for m in own[l] if m is not None and m >= tau)
        worst = max(flagged[f] / total[f] for f in total)
        if worst <= 0.004:
            break
        tau += 0.05
    detected = attempted = 0
    for a in langs:
        for b in langs:
            if a == b or family[a] != family[b] or tuple(sorted((a, b))) in pairs:
                continue
            for t in data[a][1][:10]:
                if len(t.split()) < 5:
                    continue
                attempted += 1
                m = margin(t, b)
                detected += m is not None and m >= tau
    overall = sum(1 for l in langs for m in own[l] if m is not None and m >= tau) / sum(len(own[l]) for l in langs)
    print(f"threshold {tau:.2f} quanta/n-gram: false flags {overall:.3%} overall, worst script family {worst:.3%}; "
          f"same-script mismatches of >= 5 words detected {detected}/{attempted} = {detected / max(attempted, 1):.1%}",
          file=sys.stderr)

    lines = [f"#langs\t" + "\t".join(f"{l}:{qfloor[l]}:{'+'.join(lang_scripts[l])}:{len(data[l][1])}" for l in langs),
             f"#threshold\t{tau:.2f}",
             "#confusable\t" + "\t".join(f"{a}/{b}" for a, b in sorted(pairs))]
    for g in sorted(model):
        lines.append(g + "\t" + "\t".join(f"{index[l]}:{v}" for l, v in sorted(qmodel[g].items(), key=lambda kv: index[kv[0]])))
    text = "\n".join(lines)
    assert '"""#' not in text
    with open(OUT, "w") as f:
        f.write("// Generated by scripts/train-lid.py from Common Voice's CC0 sentences. Do not edit.\n\n")
        f.write("enum LIDModelData {\n")
        f.write(f"    /// Score quantum in nats.\n    static let step = {STEP}\n")
        f.write(f'    static let model = #"""\n{text}\n"""#\n}}\n')
    print(f"model: {os.path.getsize(OUT)} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
