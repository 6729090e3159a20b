"""Unicode scripts (Scripts.txt, Debian unicode-data) as ISO 15924 codes, shared by the data scripts."""
import bisect
import re

_RANGES = []
_STARTS = []


def script_ranges():
    """(first, last, ISO 15924 code) for every range of Scripts.txt, sorted."""
    if not _RANGES:
        names = {}
        for line in open("/usr/share/unicode/PropertyValueAliases.txt"):
            m = re.match(r"sc\s*;\s*(\w+)\s*;\s*(\w+)", line)
            if m:
                names[m.group(2)] = m.group(1)
        for line in open("/usr/share/unicode/Scripts.txt"):
            m = re.match(r"([0-9A-F]+)(?:\.\.([0-9A-F]+))?\s*;\s*(\w+)", line)
            if m:
                _RANGES.append((int(m.group(1), 16), int(m.group(2) or m.group(1), 16), names[m.group(3)]))
        _RANGES.sort()
        _STARTS.extend(r[0] for r in _RANGES)
    return _RANGES


def script_of(ch):
    """The ISO 15924 code of a character, or None for Common, Inherited and unassigned code points."""
    ranges = script_ranges()
    i = bisect.bisect_right(_STARTS, ord(ch)) - 1
    if i < 0:
        return None
    lo, hi, sc = ranges[i]
    return sc if lo <= ord(ch) <= hi and sc not in ("Zyyy", "Zinh") else None
