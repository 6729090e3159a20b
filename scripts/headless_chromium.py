"""Headless Chromium for the browser tests, shared by record-in-chromium.py and review-in-chromium.py
(standard library only): finding the browser, starting and always stopping it with a throw-away
profile, serving a page from 127.0.0.1, and a small DevTools-protocol client (a WebSocket client and a
page that evaluates, waits and types)."""
import base64
import http.server
import json
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import time
import urllib.parse
import urllib.request

FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--autoplay-policy=no-user-gesture-required"]


def find():
    """The Chromium executable on PATH, or None."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def serve(handler):
    """Serves `handler` (a BaseHTTPRequestHandler class) on 127.0.0.1 at a free port, in a daemon thread.
    Returns the server: its port is `server.server_address[1]`; call `shutdown()` when done."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class QuietHandler(http.server.BaseHTTPRequestHandler):
    """A request handler that logs nothing and can answer with a page."""

    def log_message(self, *args):
        pass

    def send_page(self, html):
        body = html.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Browser:
    """`with Browser(executable, extra_flags, url) as b:` starts headless Chromium with its own temporary
    profile (and `--remote-debugging-port=0` when `devtools` is true); leaving the block stops it
    (terminate, then kill after 10 s) and removes the profile, whatever happened inside."""

    def __init__(self, executable, flags=(), url="about:blank", devtools=False, prefix="voxgate-chromium-"):
        self.profile = tempfile.mkdtemp(prefix=prefix)
        command = [executable] + FLAGS + ["--user-data-dir=" + self.profile] + list(flags)
        if devtools:
            command.append("--remote-debugging-port=0")
        self.process = subprocess.Popen(command + [url], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.profile, ignore_errors=True)
        return False

    def new_page(self, timeout=30):
        """Opens a blank tab and returns a DevTools `Page` on it (needs `devtools=True`)."""
        # Chromium creates DevToolsActivePort, then writes the port and the browser's path into it: wait for both.
        port_file = os.path.join(self.profile, "DevToolsActivePort")
        end = time.time() + timeout
        lines = []
        while len(lines) < 2 and time.time() < end:
            try:
                with open(port_file) as f:
                    lines = f.read().split()
            except FileNotFoundError:
                pass
            time.sleep(0.1)
        if len(lines) < 2:
            raise RuntimeError(f"Chromium wrote no DevTools port within {timeout} s")
        port = int(lines[0])
        req = urllib.request.Request(f"http://127.0.0.1:{port}/json/new?about:blank", method="PUT")
        ws_url = json.load(urllib.request.urlopen(req, timeout=10))["webSocketDebuggerUrl"]
        return Page(WebSocket(ws_url))


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
    """One tab, driven through the DevTools protocol."""

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
