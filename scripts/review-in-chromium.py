#!/usr/bin/env python3
"""Drives the review page in a real browser: headless Chromium, through the DevTools protocol (the small
client in headless_chromium.py, standard library only).

Usage: review-in-chromium.py BASE_URL TOKEN LANGUAGE
  1. opens BASE_URL/, types TOKEN into the sign-in form and presses Enter;
  2. waits for the LANGUAGE queue, presses "p" (play) and waits until the first clip's audio plays;
  3. presses "a" (accept) and waits for the page to confirm the stored vote;
  4. opens a page on another site (http://localhost:<port>/, served here) whose form posts a vote to the
     review server without the CSRF token, and reads what the server answered.
Prints one JSON line: {"signed_in", "played", "voted_clip", "vote_status", "cookie_http_only",
"cross_site_path", "cross_site_text"}. Exits 2 when Chromium is not installed, 1 on a failure.
"""
import json
import sys
import urllib.parse

import headless_chromium


def main(base, token, language):
    chromium = headless_chromium.find()
    if not chromium:
        print("chromium is not installed", file=sys.stderr)
        return 2
    target = urllib.parse.urlparse(base)

    class Attacker(headless_chromium.QuietHandler):
        def do_GET(self):
            clip = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)["clip"][0]
            self.send_page((
                f"<!doctype html><form id=f method=post action='{base}/api/votes' "
                "enctype='application/x-www-form-urlencoded'><input name=clip value='CLIP'>"
                "<input name=vote value=reject></form><script>document.getElementById('f').submit()</script>"
            ).replace("CLIP", clip))

    attacker = headless_chromium.serve(Attacker)
    result = {}
    try:
        with headless_chromium.Browser(chromium, devtools=True, prefix="voxgate-review-chromium-") as browser:
            run(browser.new_page(), base, token, language, target, attacker, result)
    except Exception as e:  # report what was reached, and why it stopped
        result["error"] = str(e)
    finally:
        attacker.shutdown()
    print(json.dumps(result))
    return 1 if "error" in result else 0


def run(page, base, token, language, target, attacker, result):
    """The steps of the docstring, recording in `result` what each one reached."""
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


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]))
