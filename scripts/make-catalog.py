#!/usr/bin/env python3
"""Regenerates voxgate's language catalog and Unicode script table from real data.

Inputs (read-only):
  data/cv-languagedata-2026-06-12.json   Common Voice's 436 platform locales (committed)
  data/cv-locales-corpus-25.txt          the 290 locales of Corpus 25.0 (committed)
  data/cv-sentences/                     CC0 sentences, for the script inference (committed)
  /usr/share/iso-codes/json/iso_639-3.json         ISO 639-3 (Debian iso-codes)
  /usr/share/unicode/cldr/common/...               CLDR (Debian unicode-cldr-core): likely subtags,
                                                   language scripts, aliases, populations
  /usr/share/unicode/Scripts.txt, PropertyValueAliases.txt (Debian unicode-data)
Output: Sources/VoxgateCorpus/Language/CatalogData.swift, the data as string literals compiled into
voxgate (no resource bundle to lose when the binary is copied elsewhere):
  catalogJSON    one entry per language
  aliasesJSON    deprecated/legacy language codes → replacement (CLDR languageAlias)
  scriptsTSV     code point ranges → ISO 15924 script code (Unicode Scripts.txt)

Where a source is silent (no CLDR script for a small language, no population), the entry says so
(null with a "notes" line) instead of guessing.
The Debian inputs' package versions and hashes are pinned in data/generator-inputs.txt;
scripts/check-generated checks them, regenerates and diffs.
Usage: scripts/make-catalog.py [DATA_DIR] [OUTPUT_DIR]   (defaults: data/, Sources/VoxgateCorpus/Language/)
"""
import json
import os
import re
import sys
import xml.etree.ElementTree as ET

from unicode_scripts import script_of as unicode_script, script_ranges

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "data")
CLDR = "/usr/share/unicode/cldr/common"
OUT = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "Sources", "VoxgateCorpus", "Language")


def load_cldr():
    likely = {}
    for e in ET.parse(f"{CLDR}/supplemental/likelySubtags.xml").getroot().iter("likelySubtag"):
        likely[e.get("from")] = e.get("to")
    data = ET.parse(f"{CLDR}/supplemental/supplementalData.xml").getroot()
    scripts = {}
    for e in data.iter("language"):
        if e.get("scripts") and e.get("type"):
            key = e.get("type")
            scripts.setdefault(key, [])
            for s in e.get("scripts").split():
                if s not in scripts[key]:
                    scripts[key].append(s)
    population = {}
    for territory in data.iter("territory"):
        total = float(territory.get("population", 0) or 0)
        for lp in territory.iter("languagePopulation"):
            lang = lp.get("type").split("_")[0]
            population[lang] = population.get(lang, 0) + total * float(lp.get("populationPercent", 0)) / 100
    aliases = {}
    meta = ET.parse(f"{CLDR}/supplemental/supplementalMetadata.xml").getroot()
    for e in meta.iter("languageAlias"):
        t, r = e.get("type"), e.get("replacement")
        if t and r and re.fullmatch(r"[a-z]{2,3}", t) and re.fullmatch(r"[a-z]{2,3}", r.split("_")[0]):
            aliases[t] = r.split("_")[0]
    return likely, scripts, population, aliases


def script_of(likely, tag):
    parts = tag.split("-")
    lang = parts[0].lower()
    keys = [lang + "_" + p.upper() for p in parts[1:] if len(p) == 2] + [lang]
    for key in keys:
        if key in likely:
            parts = likely[key].split("_")
            if len(parts) > 1 and re.fullmatch(r"[A-Z][a-z]{3}", parts[1]):
                return parts[1]
    return None


def observed_scripts(code):
    """Scripts making up at least 5% of the letters of the locale's CC0 sentences, most used first."""
    path = os.path.join(SHARED, "cv-sentences", code + ".txt")
    if not os.path.exists(path):
        return []
    counts = {}
    for ch in open(path, encoding="utf-8").read():
        script = unicode_script(ch) if ch.isalpha() else None
        if script:
            counts[script] = counts.get(script, 0) + 1
    total = sum(counts.values())
    return [s for s, n in sorted(counts.items(), key=lambda kv: -kv[1]) if total and n / total >= 0.05]


def main():
    cv = json.load(open(os.path.join(SHARED, "cv-languagedata-2026-06-12.json")))["locales"]
    corpus25 = set(open(os.path.join(SHARED, "cv-locales-corpus-25.txt")).read().split())
    iso = json.load(open("/usr/share/iso-codes/json/iso_639-3.json"))["639-3"]
    by2 = {e["alpha_2"]: e for e in iso if "alpha_2" in e}
    by3 = {e["alpha_3"]: e for e in iso}
    likely, lang_scripts, population, aliases = load_cldr()
    entries = []
    for code in sorted(set(cv) | corpus25):
        info = cv.get(code, {})
        lang = code.split("-")[0].lower()
        iso_entry = by2.get(lang) or by3.get(lang)
        notes = []
        primary = script_of(likely, code)
        scripts = list(lang_scripts.get(lang, []))
        if primary and primary not in scripts:
            scripts.insert(0, primary)
        elif primary:
            scripts.remove(primary)
            scripts.insert(0, primary)
        if not scripts:
            observed = observed_scripts(code)
            if observed:
                scripts = observed
                notes.append("scripts observed in Common Voice's sentences (CLDR names none)")
            else:
                notes.append("no source names a script for this language")
        pop = population.get(lang)
        if pop is None:
            notes.append("CLDR gives no speaker population")
        if iso_entry is None:
            notes.append("not an ISO 639-3 code")
        variants = [v.get("tag", v) if isinstance(v, dict) else v for v in info.get("variants", [])]
        entries.append({
            "tag": code,
            "name": info.get("english_name") or (iso_entry or {}).get("name") or code,
            "autonym": info.get("native_name") if info.get("native_name") not in (None, code) else None,
            "iso639_3": (iso_entry or {}).get("alpha_3"),
            "scripts": scripts,
            "direction": (info.get("text_direction") or "LTR").lower(),
            "variants": variants,
            "population": round(pop) if pop else None,
            "corpus25": code in corpus25,
            "platform": code in cv,
            "notes": notes,
        })
    missing = corpus25 - {e["tag"] for e in entries}
    assert not missing, f"Corpus-25 locales missing: {missing}"
    catalog = json.dumps({"source": "Common Voice languagedata 2026-06-12, Corpus 25.0, ISO 639-3 (iso-codes), CLDR",
                          "languages": entries}, ensure_ascii=False, indent=0, sort_keys=True)
    alias_json = json.dumps(dict(sorted(aliases.items())), indent=0, sort_keys=True)
    ranges = script_ranges()
    merged = []
    for lo, hi, sc in ranges:
        if merged and merged[-1][2] == sc and merged[-1][1] + 1 == lo:
            merged[-1] = (merged[-1][0], hi, sc)
        else:
            merged.append((lo, hi, sc))
    tsv = "".join(f"{lo:X}\t{hi:X}\t{sc}\n" for lo, hi, sc in merged)
    for text in (catalog, alias_json, tsv):
        assert '"""#' not in text
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "CatalogData.swift"), "w") as f:
        f.write("// Generated by scripts/make-catalog.py from Common Voice, ISO 639-3, CLDR and Unicode data.\n")
        f.write("// Do not edit: run the script again.\n\n")
        f.write("enum CatalogData {\n")
        for name, text in (("catalogJSON", catalog), ("aliasesJSON", alias_json), ("scriptsTSV", tsv)):
            f.write(f'    static let {name} = #"""\n{text}\n"""#\n\n')
        f.write("}\n")
    print(f"{len(entries)} languages ({sum(e['corpus25'] for e in entries)} in Corpus 25), "
          f"{len(aliases)} aliases, {len(merged)} script ranges", file=sys.stderr)


if __name__ == "__main__":
    main()
