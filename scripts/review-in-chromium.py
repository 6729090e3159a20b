#!/usr/bin/env python3
"""Drives the review page in a real browser: headless Chromium, through the DevTools protocol (a small
WebSocket client below, standard library only).

Usage: review-in-chromium.py BASE_URL TOKEN LANGUAGE
  1. opens BASE_URL/, types TOKEN into the sign-in form and presses Enter;
  2. waits for the LANGUAGE queue, presses "p" (play) and waits until the first clip's audio plays;
  3. presses "a" (accept) and waits for the page to confirm the stored vote;
  4. opens a page on another site (http://localhost:<port>/, served here) whose form posts a vote to the
     review server without the CSRF token, and reads what the server answered.
Prints one JSON line: {"signed_in", "played", "voted_clip", "vote_status", "cookie_http_only",
"cross_site_path", "cross_site_text"}. Exits 2 when Chromium is not installed, 1 on a failure.
"""
import base64
import http.server
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request


class WebSocket:
    """RFC 6455, client side, text frames: enough for the DevTools protocol."""

    def __init__(self, url):
        u = urllib.parse.urlparse(url)
        self.sock = socket.create_connection((u.hostname, u.port), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (f"GET {u.path} HTTP/1.1\r\nHost: {u.hostname}:{u.port}\r\nUpgrade: websocket\r\n"
             f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += self.sock.recv(1)
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise RuntimeError("WebSocket handshake refused: " + head.decode(errors="replace"))

    def _read(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise RuntimeError("DevTools connection closed")
            data += chunk
        return data

    def send(self, text):
        payload = text.encode()
        header = bytes([0x81])
        n = len(payload)
        if n < 126:
            header += bytes([0x80 | n])
        elif n < 65536:
            header += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            header += bytes([0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def recv(self):
        message = b""
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read(8))[0]
            payload = self._read(n)
            opcode = b0 & 0x0F
            if opcode == 0x8:
                raise RuntimeError("DevTools connection closed")
            if opcode in (0x9, 0xA):
                continue
            message += payload
            if b0 & 0x80:
                return message.decode()


class Page:
    def __init__(self, ws):
        self.ws, self.next_id = ws, 0

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def eval(self, expression):
        r = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        return r.get("result", {}).get("value")

    def wait(self, expression, timeout=20):
        end = time.time() + timeout
        while time.time() < end:
            try:
                value = self.eval(expression)
            except RuntimeError:
                value = None  # a navigation replaced the context
            if value:
                return value
            time.sleep(0.1)
        raise RuntimeError("timed out waiting for: " + expression)

    def key(self, key, code):
        self.call("Input.dispatchKeyEvent", type="keyDown", key=key, code=code, text=key if len(key) == 1 else "",
                  windowsVirtualKeyCode=ord(key.upper()) if len(key) == 1 else 13)
        self.call("Input.dispatchKeyEvent", type="keyUp", key=key, code=code)


def main(base, token, language):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        print("chromium is not installed", file=sys.stderr)
        return 2
    target = urllib.parse.urlparse(base)

    class Attacker(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            body = (f"<!doctype html><form id=f method=post action='{base}/api/votes' "
                    "enctype='application/x-www-form-urlencoded'><input name=clip value='CLIP'>"
                    "<input name=vote value=reject></form><script>document.getElementById('f').submit()</script>"
                    ).replace("CLIP", urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)["clip"][0]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    attacker = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Attacker)
    threading.Thread(target=attacker.serve_forever, daemon=True).start()
    profile = tempfile.mkdtemp(prefix="voxgate-review-chromium-")
    browser = subprocess.Popen(
        [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--remote-debugging-port=0",
         "--user-data-dir=" + profile, "--autoplay-policy=no-user-gesture-required", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    result = {}
    try:
        port_file = os.path.join(profile, "DevToolsActivePort")
        end = time.time() + 30
        while not os.path.exists(port_file) and time.time() < end:
            time.sleep(0.1)
        port = int(open(port_file).read().split()[0])
        req = urllib.request.Request(f"http://127.0.0.1:{port}/json/new?about:blank", method="PUT")
        ws_url = json.load(urllib.request.urlopen(req, timeout=10))["webSocketDebuggerUrl"]
        page = Page(WebSocket(ws_url))
        page.call("Page.enable")
        page.call("Network.enable")

        page.call("Page.navigate", url=base + "/")
        page.wait("document.getElementById('token') !== null")
        page.eval("document.getElementById('token').focus()")
        page.call("Input.insertText", text=token)
        page.eval("document.getElementById('signin').click()")
        page.wait(f"location.pathname === '/review' && document.body.dataset.ready === '1'")
        result["signed_in"] = True
        page.call("Page.navigate", url=base + "/review?language=" + urllib.parse.quote(language))
        page.wait(f"location.search === '?language={language}' && document.body.dataset.ready === '1'")
        cookies = page.call("Network.getCookies", urls=[base + "/"])["cookies"]
        session = [c for c in cookies if c["name"] == "vg_session"]
        result["cookie_http_only"] = bool(session and session[0]["httpOnly"] and session[0].get("sameSite") == "Strict")
        result["cookie_visible_to_script"] = "vg_session" in (page.eval("document.cookie") or "")

        page.key("p", "KeyP")
        result["played"] = bool(page.wait(
            "(() => { const a = document.querySelector('.clip.current audio'); "
            "return a && !a.paused && a.currentTime > 0; })()"))
        clip = page.eval("document.querySelector('.clip.current').dataset.clip")
        page.key("a", "KeyA")
        result["vote_status"] = page.wait(
            "(() => { const s = document.getElementById('status').textContent; return s.startsWith('voted') ? s : ''; })()")
        result["voted_clip"] = clip

        other = f"http://localhost:{attacker.server_address[1]}/?clip=" + urllib.parse.quote(clip)
        page.call("Page.navigate", url=other)
        page.wait(f"location.host === '{target.netloc}'")
        result["cross_site_path"] = page.eval("location.pathname")
        result["cross_site_text"] = page.wait("document.body && document.body.innerText")
    except Exception as e:  # report what was reached, and why it stopped
        result["error"] = str(e)
    finally:
        browser.terminate()
        try:
            browser.wait(timeout=10)
        except subprocess.TimeoutExpired:
            browser.kill()
        attacker.shutdown()
        shutil.rmtree(profile, ignore_errors=True)
    print(json.dumps(result))
    return 1 if "error" in result else 0


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]))
