/// The review page's script: builds the queue with `textContent` only (no HTML from data), plays, votes
/// (JSON with the session's CSRF token in `X-CSRF-Token`) and moves on, by keyboard or buttons.
enum ReviewScript {
    static let source = #"""
        "use strict";
        const root = document.getElementById("queue");
        const language = root.dataset.language, csrf = root.dataset.csrf;
        let items = [], current = 0;
        function el(tag, cls, text) { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; }
        function progress() {
          const voted = items.filter(i => i.my_vote).length;
          document.getElementById("progress").textContent = voted + " of " + items.length + " voted";
        }
        function select(i) {
          if (!items.length) return;
          current = Math.max(0, Math.min(items.length - 1, i));
          items.forEach((it, k) => it.node.classList.toggle("current", k === current));
          items[current].node.scrollIntoView({block: "nearest"});
        }
        function mark(it) {
          it.mine.textContent = it.my_vote ? "your vote: " + it.my_vote : "";
          it.mine.className = it.my_vote ? "voted-" + it.my_vote : "";
        }
        async function vote(kind) {
          const it = items[current]; if (!it) return;
          const r = await fetch("/api/votes", {method: "POST", credentials: "same-origin",
            headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
            body: JSON.stringify({clip: it.clip, vote: kind, note: ""})});
          const status = document.getElementById("status");
          if (r.status === 201) { it.my_vote = kind; mark(it); progress(); status.textContent = "voted " + kind + " on " + it.clip; select(current + 1); }
          else { const e = await r.json().catch(() => ({})); status.textContent = "vote refused (" + r.status + "): " + (e.error || ""); }
        }
        function play() { const it = items[current]; if (it) { it.audio.currentTime = 0; it.audio.play().catch(() => {}); document.getElementById("status").textContent = "playing " + it.clip; } }
        async function load() {
          const r = await fetch("/api/queue?language=" + encodeURIComponent(language), {credentials: "same-origin"});
          if (r.status !== 200) { document.getElementById("status").textContent = "cannot load the queue (" + r.status + ")"; return; }
          const q = await r.json();
          items = q.clips;
          items.forEach((it, k) => {
            const node = el("section", "clip"); node.dataset.clip = it.clip;
            node.appendChild(el("div", "sentence", it.sentence || "(no sentence)"));
            const head = el("div"); head.appendChild(el("code", "", it.clip)); head.appendChild(document.createTextNode(" · " + it.status + " "));
            (it.reasons || []).forEach(c => head.appendChild(el("span", "reason", c)));
            node.appendChild(head);
            if (it.detail) node.appendChild(el("div", "metrics", it.detail));
            node.appendChild(el("div", "metrics", Object.keys(it.metrics).sort().map(k => k + " " + it.metrics[k]).join(" · ")));
            it.audio = el("audio"); it.audio.controls = true; it.audio.preload = "none"; it.audio.src = it.audio_url; node.appendChild(it.audio);
            const a = el("button", "", "Accept (a)"), rj = el("button", "", "Reject (r)");
            a.type = rj.type = "button";
            a.onclick = () => { select(k); vote("accept"); }; rj.onclick = () => { select(k); vote("reject"); };
            node.appendChild(a); node.appendChild(rj);
            it.mine = el("span"); node.appendChild(it.mine); mark(it);
            node.onclick = (ev) => { if (ev.target === node) select(k); };
            it.node = node; root.appendChild(node);
          });
          progress(); select(0);
          document.body.dataset.ready = "1";
        }
        document.addEventListener("keydown", ev => {
          if (ev.target.tagName === "INPUT" || ev.ctrlKey || ev.metaKey || ev.altKey) return;
          if (ev.key === "p" || ev.key === " ") { ev.preventDefault(); play(); }
          else if (ev.key === "a") vote("accept");
          else if (ev.key === "r") vote("reject");
          else if (ev.key === "n" || ev.key === "j") select(current + 1);
          else if (ev.key === "b" || ev.key === "k") select(current - 1);
        });
        load();
        """#
}
