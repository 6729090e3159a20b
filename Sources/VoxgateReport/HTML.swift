/// Small HTML helpers: every string that came from an upload goes through ``escape(_:)``.
public enum HTML {
    /// Escapes text for element content and quoted attribute values.
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// Percent-encodes a relative path for an `href`/`src`, segment by segment.
    public static func url(_ path: String) -> String {
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~/".utf8)
        var out = ""
        for byte in path.utf8 {
            if allowed.contains(byte) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(2)
            }
        }
        return out
    }

    static let style = """
        body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1b1b1b}
        h1,h2{line-height:1.2}table{border-collapse:collapse;width:100%;margin:1rem 0}
        th,td{border-bottom:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top}
        th button{font:inherit;font-weight:600;background:none;border:0;padding:0;cursor:pointer}
        td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}.reason{display:inline-block;background:#fde8e8;
        color:#8a1c1c;border-radius:3px;padding:0 .35rem;margin:0 .2rem .2rem 0;font-size:.85em}
        .ok{color:#1e6b2e}.muted{color:#666}figure{display:inline-block;width:320px;margin:0 1.5rem 1rem 0;vertical-align:top}
        figcaption{font-size:.9em;color:#444}nav a{margin-right:.8rem}audio{width:14rem;height:2rem}
        .pair{display:flex;gap:1rem;flex-wrap:wrap}
        """

    /// Keyboard-usable sorting for tables with `data-sortable`: header buttons sort by that column.
    static let sortScript = """
        document.querySelectorAll('table[data-sortable]').forEach(function(t){
          t.querySelectorAll('th button').forEach(function(b,i){
            b.addEventListener('click',function(){
              var body=t.tBodies[0],rows=Array.prototype.slice.call(body.rows),asc=b.getAttribute('data-asc')!=='1';
              rows.sort(function(x,y){var a=x.cells[i].getAttribute('data-v')||x.cells[i].textContent,
                c=y.cells[i].getAttribute('data-v')||y.cells[i].textContent,na=parseFloat(a),nc=parseFloat(c);
                var r=(!isNaN(na)&&!isNaN(nc))?na-nc:a.localeCompare(c);return asc?r:-r;});
              rows.forEach(function(r){body.appendChild(r);});
              t.querySelectorAll('th').forEach(function(h){h.removeAttribute('aria-sort');});
              b.parentNode.setAttribute('aria-sort',asc?'ascending':'descending');b.setAttribute('data-asc',asc?'1':'0');
            });
          });
        });
        """

    static func page(title: String, lang: String = "en", body: String, script: Bool = false) -> String {
        """
        <!doctype html>
        <html lang="\(escape(lang))"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width,initial-scale=1">
        <title>\(escape(title))</title><style>\(style)</style></head>
        <body>
        \(body)
        \(script ? "<script>\(sortScript)</script>" : "")
        </body></html>

        """
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: "0", count: Swift.max(0, width - count)) + self }
}
