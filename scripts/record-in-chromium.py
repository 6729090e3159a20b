#!/usr/bin/env python3
"""Records a WAV through a real browser: headless Chromium plays it as a fake microphone into
getUserMedia + MediaRecorder (audio/webm;codecs=opus, 250 ms timeslices as web recorders use), and
the page uploads the recording to a server on 127.0.0.1.

Usage: record-in-chromium.py INPUT.wav OUTPUT.webm [RECORD_MS]
Prints one JSON line: {"mime": …, "recorded_ms": <ms between MediaRecorder start and stop events>,
"bytes": …}. Exits 2 when Chromium is not installed, 1 when the recording fails.
"""
import json
import sys
import threading
from urllib.parse import parse_qs, urlparse

import headless_chromium

PAGE = """<!doctype html><meta charset=utf-8><title>recording</title><script>
(async () => {
  const stream = await navigator.mediaDevices.getUserMedia({audio: true});
  const rec = new MediaRecorder(stream, {mimeType: 'audio/webm;codecs=opus'});
  const chunks = [];
  let started = 0;
  rec.ondataavailable = e => chunks.push(e.data);
  rec.onstart = () => { started = performance.now(); setTimeout(() => rec.stop(), RECORD_MS); };
  rec.onstop = async () => {
    const recorded = performance.now() - started;
    const blob = new Blob(chunks, {type: rec.mimeType});
    await fetch('/upload?recorded_ms=' + recorded + '&mime=' + encodeURIComponent(rec.mimeType),
                {method: 'POST', body: blob});
  };
  rec.start(250);
})().catch(e => fetch('/error?message=' + encodeURIComponent(String(e)), {method: 'POST'}));
</script>"""


def main(wav, out, record_ms):
    chromium = headless_chromium.find()
    if not chromium:
        print("chromium is not installed", file=sys.stderr)
        return 2
    result = {}
    done = threading.Event()

    class Handler(headless_chromium.QuietHandler):
        def do_GET(self):
            self.send_page(PAGE.replace("RECORD_MS", str(record_ms)))

        def do_POST(self):
            url = urlparse(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            data = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if url.path == "/upload":
                with open(out, "wb") as f:
                    f.write(data)
                result.update(mime=query.get("mime"), recorded_ms=float(query["recorded_ms"]), bytes=len(data))
            else:
                result.update(error=query.get("message", "unknown"))
            self.send_response(204)
            self.end_headers()
            done.set()

    server = headless_chromium.serve(Handler)
    try:
        flags = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                 "--use-file-for-fake-audio-capture=" + wav + "%noloop"]
        with headless_chromium.Browser(chromium, flags, url=f"http://127.0.0.1:{server.server_address[1]}/"):
            ok = done.wait(timeout=60 + record_ms / 1000)
    finally:
        server.shutdown()
    if not ok or "error" in result:
        print(f"recording failed: {result.get('error', 'timed out')}", file=sys.stderr)
        return 1
    print(json.dumps(result))
    return 0

if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 3000))
