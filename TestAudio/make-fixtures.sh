#!/usr/bin/env bash
# Regenerates TestAudio/uploads/: one small clip per decoder path and per reason code of the
# walking skeleton, with sidecars and withdrawals.txt. Needs espeak-ng, sox, ffmpeg and python3
# (scripts/setup installs them). Byte-for-byte output depends on the tools' versions; the expected
# decisions (expected.tsv) do not.
set -euo pipefail
cd "$(dirname "$0")"
out=uploads
# Keep the one fixture this script cannot remake: a real browser recording (scripts/record-in-chromium.py).
keep=$(mktemp -d)
cp "$out/en/chromium-recording."* "$keep/" 2>/dev/null || true
rm -rf "$out"
mkdir -p "$out"/{en,de,fr}
cp "$keep"/* "$out/en/" 2>/dev/null || true
rm -rf "$keep"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# speak LANG "TEXT" OUT.wav: espeak-ng speech, 16 kHz mono 16-bit, peak-normalised to -3 dBFS.
speak() {
  espeak-ng -v "$1" -w "$tmp/raw.wav" "$2"
  sox "$tmp/raw.wav" -r 16000 -c 1 -b 16 "$3" norm -3
}
# sidecar PATH-WITHOUT-EXT "SENTENCE" CLIENT [LICENSE]
sidecar() {
  printf '{"sentence": "%s", "client_id": "%s", "consent": true, "license": "%s"}\n' "$2" "$3" "${4:-CC0-1.0}" > "$1.json"
}
# bitexact: no random Ogg serial numbers or Matroska UIDs, no encoder version tags.
ff() { ffmpeg -loglevel error -y "${@:1:$#-1}" -fflags +bitexact -flags:a +bitexact "${@: -1}"; }
# sox dithers with a random seed unless told to be repeatable: -R makes regeneration byte-stable.
sox() { command sox -R "$@"; }

# --- accepted: one per decoder path -------------------------------------------------------------
n=0
accepted() {  # accepted NAME "SENTENCE" CLIENT CONVERT-COMMAND...  (converts $tmp/s.wav to the clip)
  local name=$1 text=$2 client=$3
  shift 3
  speak en "$text" "$tmp/s.wav"
  "$@" "$out/en/$name"
  sidecar "$out/en/${name%.*}" "$text" "$client"
}
accepted pcm16.wav     "The library opens at nine."          spk-en-01 cp "$tmp/s.wav"
accepted pcm8.wav      "Bring an umbrella tomorrow."         spk-en-02 sox "$tmp/s.wav" -b 8 -e unsigned-integer
accepted pcm24.wav     "She painted the fence green."        spk-en-03 sox "$tmp/s.wav" -b 24
accepted pcm32.wav     "Rivers flow into the sea."           spk-en-01 sox "$tmp/s.wav" -r 8000 -b 32 -e signed-integer
accepted float32.wav   "The train was late again."           spk-en-02 sox "$tmp/s.wav" -r 8000 -b 32 -e floating-point
accepted ulaw.wav      "Please close the window."            spk-en-03 sox "$tmp/s.wav" -e u-law
accepted alaw.wav      "Our team won the match."             spk-en-04 sox "$tmp/s.wav" -e a-law
accepted flac.flac     "Coffee tastes better warm."          spk-en-04 sox "$tmp/s.wav"
accepted mp3.mp3       "The bridge was built in spring."     spk-en-05 ff -i "$tmp/s.wav" -ar 32000 -ac 1 -c:a libmp3lame -b:a 32k
accepted vorbis.ogg    "Birds sing before sunrise."          spk-en-05 ff -i "$tmp/s.wav" -c:a libvorbis -q:a 0
accepted opus.opus     "He forgot his keys at home."         spk-en-06 ff -i "$tmp/s.wav" -ar 48000 -c:a libopus -b:a 16k
accepted flac-named-wav.wav "A quiet street at night."       spk-en-06 sox "$tmp/s.wav" -t flac
accepted stereo-44k.flac    "Music filled the old hall."     spk-en-07 sox "$tmp/s.wav" -r 44100 -c 2

# A non-ASCII name with a space, stored NFD-decomposed on disk (as macOS writes it).
nfd=$(python3 -c 'import unicodedata; print(unicodedata.normalize("NFD", "café noir"), end="")')
speak en "Black coffee, no sugar." "$tmp/s.wav"
cp "$tmp/s.wav" "$out/en/$nfd.wav"
sidecar "$out/en/$nfd" "Black coffee, no sugar." spk-en-07

# --- duplicate: the same samples as WAV (kept, sorts first) and as FLAC -----------------------
speak en "This sentence was uploaded twice." "$tmp/s.wav"
cp "$tmp/s.wav" "$out/en/dup-a-original.wav"
sox "$tmp/s.wav" "$out/en/dup-b-copy.flac"
sidecar "$out/en/dup-a-original" "This sentence was uploaded twice." spk-en-08
sidecar "$out/en/dup-b-copy" "This sentence was uploaded twice." spk-en-08

# The same speaker reading the same sentence again (slower): a duplicate of another kind.
sox "$out/en/pcm16.wav" "$out/en/same-sentence-again.flac" tempo 0.9
sidecar "$out/en/same-sentence-again" "The library opens at nine." spk-en-17

# --- too_short, too_long, silent --------------------------------------------------------------
speak en "Yes." "$tmp/s.wav"
sox "$tmp/s.wav" "$out/en/too-short.wav" trim 0 0.5
sidecar "$out/en/too-short" "Yes." spk-en-09
long="Once upon a time, in a village by the river, there lived an old baker who rose every morning before dawn to light his oven, knead the dough and shape the loaves that the whole village would eat."
speak en "$long" "$tmp/s.wav"
sox "$tmp/s.wav" "$tmp/l.wav" pad 0 1 repeat 1   # about 25 s
ff -i "$tmp/l.wav" -ar 8000 -ac 1 -c:a libmp3lame -b:a 8k "$out/en/too-long.mp3"
sidecar "$out/en/too-long" "$long $long" spk-en-09
sox -n -r 16000 -c 1 -b 16 "$out/en/silent.flac" trim 0 2
sidecar "$out/en/silent" "Nothing was said." spk-en-10

# --- signal quality: loudness, clipping, noise, speech activity ---------------------------------
# Boundaries the thresholds must respect: clean speech at about -30 LUFS and speech with noise at
# 25 dB SNR are accepted; about -50 LUFS, 0 dB SNR and hard clipping are rejected.
speak en "The night was very quiet." "$tmp/s.wav"
sox "$tmp/s.wav" "$out/en/quiet-ok.wav" gain -13
sidecar "$out/en/quiet-ok" "The night was very quiet." spk-en-14
speak en "Can you hear me at all?" "$tmp/s.wav"
sox "$tmp/s.wav" "$out/en/too-quiet.wav" gain -33
sidecar "$out/en/too-quiet" "Can you hear me at all?" spk-en-14
speak en "Everything was far too loud." "$tmp/s.wav"
sox "$tmp/s.wav" "$out/en/too-loud.wav" compand 0.002,0.05 -90,-90,-70,-6,0,-2 norm -1
sidecar "$out/en/too-loud" "Everything was far too loud." spk-en-15
speak en "The microphone gain was far too high." "$tmp/s.wav"
sox "$tmp/s.wav" "$out/en/clipped.wav" gain 14 2>/dev/null   # sox clips (and says so): that is the point
sidecar "$out/en/clipped" "The microphone gain was far too high." spk-en-15
# Speech mixed with white noise: the noise power is set against the speech power of the active part.
noisy() {  # noisy NAME SNR_DB "SENTENCE"
  speak en "$3" "$tmp/s.wav"
  local len; len=$(soxi -D "$tmp/s.wav")
  local rms; rms=$(sox "$tmp/s.wav" -n stats 2>&1 | awk '/RMS lev dB/ {print $4}')
  sox -n -r 16000 -c 1 -b 16 "$tmp/n.wav" synth "$len" whitenoise vol 1 gain -n $(awk -v r="$rms" -v s="$2" 'BEGIN { print r - s }')
  sox -m "$tmp/s.wav" "$tmp/n.wav" "$out/en/$1.wav"
  sidecar "$out/en/$1" "$3" spk-en-16
}
noisy noisy-25db 25 "A fan was running in the room."
noisy noisy-0db 0 "The street outside was very busy."
sox -n -r 16000 -c 1 -b 16 "$out/en/hiss.flac" synth 2 whitenoise gain -n -40   # above the RMS floor: only the VAD can tell
sidecar "$out/en/hiss" "Only the hiss of the line." spk-en-16

# --- decode_error ------------------------------------------------------------------------------
sox -n -r 16000 -c 1 -b 16 "$out/en/empty.wav" trim 0 0
sidecar "$out/en/empty" "An empty recording." spk-en-10
speak en "This upload was cut in half." "$tmp/s.wav"
size=$(stat -c %s "$tmp/s.wav")
head -c $((size / 2)) "$tmp/s.wav" > "$out/en/truncated.wav"
sidecar "$out/en/truncated" "This upload was cut in half." spk-en-11
python3 -c 'import random, sys; r = random.Random(7); sys.stdout.buffer.write(bytes(r.randrange(256) for _ in range(3000)))' > "$out/en/corrupt.mp3"
sidecar "$out/en/corrupt" "Random bytes named mp3." spk-en-11
{ printf 'fLaC'; python3 -c 'import sys; sys.stdout.buffer.write(b"\x5a" * 2000)'; } > "$out/en/garbage.flac"
sidecar "$out/en/garbage" "A FLAC marker and garbage." spk-en-11
speak en "Recorded in a browser." "$tmp/s.wav"
ff -i "$tmp/s.wav" -ar 48000 -c:a libopus -b:a 12k "$out/en/recording.webm"
sidecar "$out/en/recording" "Recorded in a browser." spk-en-12
# The same recording cut at 60% of its bytes: the upload broke off mid-cluster.
size=$(stat -c %s "$out/en/recording.webm")
head -c $((size * 6 / 10)) "$out/en/recording.webm" > "$out/en/broken.webm"
sidecar "$out/en/broken" "Recorded in a browser." spk-en-12
speak en "Recorded on an iPhone." "$tmp/s.wav"
ff -i "$tmp/s.wav" -c:a aac -b:a 24k "$out/en/safari.m4a"
sidecar "$out/en/safari" "Recorded on an iPhone." spk-en-12

# --- consent and metadata ----------------------------------------------------------------------
speak en "Nobody agreed to share this." "$tmp/s.wav"
sox "$tmp/s.wav" "$out/en/no-sidecar.flac"
speak en "I changed my mind." "$tmp/s.wav"
sox "$tmp/s.wav" "$out/en/consent-false.flac"
printf '{"sentence": "I changed my mind.", "client_id": "spk-en-13", "consent": false, "license": "CC0-1.0"}\n' \
  > "$out/en/consent-false.json"
speak en "The metadata is broken." "$tmp/s.wav"
sox "$tmp/s.wav" "$out/en/bad-json.flac"
printf '{"sentence": "The metadata is broken.", "client_id": ' > "$out/en/bad-json.json"
speak en "Who recorded this one?" "$tmp/s.wav"
sox "$tmp/s.wav" "$out/en/missing-client.flac"
printf '{"sentence": "Who recorded this one?", "consent": true, "license": "CC0-1.0"}\n' > "$out/en/missing-client.json"
speak en "Please remove my recordings." "$tmp/s.wav"
sox "$tmp/s.wav" "$out/en/withdrawn.flac"
sidecar "$out/en/withdrawn" "Please remove my recordings." spk-en-withdrawn
printf '# client_ids whose consent was withdrawn\nspk-en-withdrawn\n' > "$out/withdrawals.txt"
# Two reasons at once: too short and no sidecar.
speak en "No." "$tmp/s.wav"
sox "$tmp/s.wav" "$out/en/short-no-sidecar.wav" trim 0 0.4

# --- language checks -----------------------------------------------------------------------------
mkdir -p "$out/klingon"
speak en "Success is the only option." "$tmp/s.wav"
sox "$tmp/s.wav" "$out/klingon/qapla.flac"
sidecar "$out/klingon/qapla" "Success is the only option." spk-tlh-01
speak en "Hello, my friend." "$tmp/s.wav"
sox "$tmp/s.wav" "$out/en/cyrillic-sentence.flac"
sidecar "$out/en/cyrillic-sentence" "Привет, мой друг." spk-en-18
speak de "Ich komme aus Berlin." "$tmp/s.wav"
sox "$tmp/s.wav" "$out/de/locale-fr.flac"
printf '{"sentence": "Ich komme aus Berlin.", "client_id": "spk-de-02", "consent": true, "license": "CC0-1.0", "locale": "fr"}\n' \
  > "$out/de/locale-fr.json"

speak de "Wir treffen uns morgen am Bahnhof." "$tmp/s.wav"
sox "$tmp/s.wav" "$out/de/french-sentence.flac"
sidecar "$out/de/french-sentence" "Nous nous retrouverons demain à la gare." spk-de-03

# --- other languages and licences --------------------------------------------------------------
speak de "Der Zug kommt um acht Uhr an." "$tmp/s.wav"
ff -i "$tmp/s.wav" -ar 32000 -ac 1 -c:a libmp3lame -b:a 32k "$out/de/zug.mp3"
sidecar "$out/de/zug" "Der Zug kommt um acht Uhr an." spk-de-01
speak de "Im Garten blühen die Rosen." "$tmp/s.wav"
sox "$tmp/s.wav" "$out/de/rosen.flac"
sidecar "$out/de/rosen" "Im Garten blühen die Rosen." spk-de-01 CC-BY-4.0
speak fr "Le marché ouvre le samedi matin." "$tmp/s.wav"
ff -i "$tmp/s.wav" -ar 48000 -c:a libopus -b:a 16k "$out/fr/marche.opus"
sidecar "$out/fr/marche" "Le marché ouvre le samedi matin." spk-fr-01

# --- a small synthetic Common Voice release (two locales, the real TSV columns, broken rows) -------
cv=common-voice
rm -rf "$cv"
mkdir -p "$cv"/{cy,eu}/clips
header=$'client_id\tpath\tsentence_id\tsentence\tsentence_domain\tup_votes\tdown_votes\tage\tgender\taccents\tvariant\tlocale\tsegment'
cvclip() {  # cvclip LOCALE ID "SENTENCE": MP3 32 kHz mono, as Common Voice serves them
  speak "$1" "$3" "$tmp/s.wav"
  ff -i "$tmp/s.wav" -ar 32000 -ac 1 -c:a libmp3lame -b:a 48k "$cv/$1/clips/common_voice_$1_$2.mp3"
}
# Declared durations: decoded by ffmpeg (gapless, like voxgate), so only the deliberate error disagrees.
ms() { echo $(( $(ffmpeg -loglevel error -i "$1" -f s16le -ac 1 -ar 32000 - | wc -c) / 64 )); }
cvclip cy 1000001 "Mae hi'n braf heddiw."
cvclip cy 1000002 'Dywedodd hi "bore da" wrtho.'
cvclip cy 1000003 "Mae'r trên yn hwyr eto."
cvclip cy 1000004 "Rydw i'n hoffi coffi."
cvclip cy 1000005 "Nid yw hwn mewn unrhyw restr."
cvclip eu 2000001 "Gaur eguraldi ona dago."
cvclip eu 2000002 "Trena berandu da berriro."
{
  echo "$header"
  printf 'c1a\tcommon_voice_cy_1000001.mp3\ts1\tMae hi%sn braf heddiw.\tgeneral\t2\t0\ttwenties\tfemale_feminine\t\t\tcy\t\n' "'"
  printf 'c2b\tcommon_voice_cy_1000002.mp3\ts2\tDywedodd hi "bore da" wrtho.\t\t3\t1\t\t\t\t\tcy\t\n'
  printf 'c9z\tcommon_voice_cy_1000099.mp3\ts9\tMae%sr ffeil hon ar goll.\t\t2\t0\t\t\t\t\tcy\t\n' "'"
} > "$cv/cy/validated.tsv"
{
  echo "$header"
  printf 'c3c\tcommon_voice_cy_1000003.mp3\ts3\tMae%sr trên\tyn hwyr eto.\t\t1\t0\t\t\t\t\tcy\t\n' "'"
} > "$cv/cy/other.tsv"
{
  echo "$header"
  printf 'c4d\tcommon_voice_cy_1000004.mp3\ts4\t\t\t0\t2\t\t\t\t\tcy\t\n'
} > "$cv/cy/invalidated.tsv"
{
  printf 'clip\tduration[ms]\n'
  for id in 1000001 1000002 1000003; do printf 'common_voice_cy_%s.mp3\t%s\n' $id "$(ms "$cv/cy/clips/common_voice_cy_$id.mp3")"; done
  printf 'common_voice_cy_1000004.mp3\t0\n'   # a header parse error reads 0 ms in Common Voice's tooling
} > "$cv/cy/clip_durations.tsv"
{
  echo "$header"
  printf 'e1\tcommon_voice_eu_2000001.mp3\ts5\tGaur eguraldi ona dago.\t\t2\t0\t\t\t\t\teu\t\n'
  printf 'e2\tcommon_voice_eu_2000002.mp3\ts6\tTrena berandu da berriro.\t\t2\t0\t\t\t\t\teu\t\n'
} > "$cv/eu/validated.tsv"
{
  printf 'clip\tduration[ms]\n'
  for id in 2000001 2000002; do printf 'common_voice_eu_%s.mp3\t%s\n' $id "$(ms "$cv/eu/clips/common_voice_eu_$id.mp3")"; done
} > "$cv/eu/clip_durations.tsv"

du -sh "$out" "$cv"
