#!/usr/bin/env python3
"""Records a WAV through a real browser: headless Chromium plays it as a fake microphone into
getUserMedia + MediaRecorder (audio/webm;codecs=opus, 250 ms timeslices as web recorders use), and
the page uploads the recording to a server on 127.0.0.1.

Usage: record-in-chromium.py INPUT.wav OUTPUT.webm [RECORD_MS]
Prints one JSON line: {"mime": …, "recorded_ms": <ms between MediaRecorder start and stop events>,
"bytes": …}. Exits 2 when Chromium is not installed, 1 when the recording fails.
"""
import http.server
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time

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
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        print("chromium is not installed", file=sys.stderr)
        return 2
    result = {}
    done = threading.Event()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            body = PAGE.replace("RECORD_MS", str(record_ms)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            from urllib.parse import parse_qs, urlparse
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

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    profile = tempfile.mkdtemp(prefix="voxgate-chromium-")
    browser = subprocess.Popen(
        [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--user-data-dir=" + profile, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
         "--use-file-for-fake-audio-capture=" + wav + "%noloop", "--autoplay-policy=no-user-gesture-required",
         f"http://127.0.0.1:{server.server_address[1]}/"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        ok = done.wait(timeout=60 + record_ms / 1000)
    finally:
        browser.terminate()
        try:
            browser.wait(timeout=10)
        except subprocess.TimeoutExpired:
            browser.kill()
        server.shutdown()
        shutil.rmtree(profile, ignore_errors=True)
    if not ok or "error" in result:
        print(f"recording failed: {result.get('error', 'timed out')}", file=sys.stderr)
        return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 3000))
