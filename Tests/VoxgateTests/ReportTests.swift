import Foundation
import Testing
import VoxgateCorpus
import VoxgateOutputs
import VoxgateReport
import VoxgateRun

@Suite("The validation report", .serialized)
struct ReportTests {
    static let golden = TestSupport.packageRoot + "/Tests/VoxgateTests/Golden"

    /// The report of a fixed output folder equals the committed golden files
    /// (set VOXGATE_UPDATE_GOLDEN=1 to rewrite them after a deliberate change, and review the diff).
    @Test func goldenHTMLAndJSON() throws {
        let out = try TestSupport.temporaryFolder("voxgate-report")
        defer { TestSupport.remove(out) }
        for name in ["decisions.jsonl", "totals.json"] {
            try FileManager.default.copyItem(atPath: Self.golden + "/report-input/" + name, toPath: out + "/" + name)
        }
        let summary = try Report.write(output: out)
        #expect(summary.pages == 4)  // index, ar, en, report.json
        for name in ["index.html", "ar.html", "en.html", "report.json"] {
            let produced = try String(contentsOfFile: out + "/report/" + name, encoding: .utf8)
            let goldenPath = Self.golden + "/report/" + name
            if ProcessInfo.processInfo.environment["VOXGATE_UPDATE_GOLDEN"] == "1" {
                try FileManager.default.createDirectory(
                    atPath: Self.golden + "/report", withIntermediateDirectories: true)
                try produced.write(toFile: goldenPath, atomically: true, encoding: .utf8)
            }
            let expected = try String(contentsOfFile: goldenPath, encoding: .utf8)
            #expect(produced == expected, "\(name) differs from its golden file")
        }
        let en = try String(contentsOfFile: out + "/report/en.html", encoding: .utf8)
        #expect(en.contains("en/&lt;b&gt;&amp;&quot;x.wav") && !en.contains("<b>&"))  // an upload's file name, escaped
        let ar = try String(contentsOfFile: out + "/report/ar.html", encoding: .utf8)
        #expect(ar.contains("<svg") && ar.contains("low SNR"))
    }

    @Test func uploadedTextIsEscapedAndRTLMarked() async throws {
        let corpus = try CorpusFixture(clips: [
            ("ar/s.wav", 300, 1.5, ["-b", "16"]), ("ar/t.wav", 310, 1.5, ["-b", "16"]),
        ])
        defer { corpus.remove() }
        try TestSupport.write(
            #"{"sentence": "<script>alert(1)</script> مرحبا", "client_id": "a", "consent": false, "license": "CC0-1.0"}"#,
            to: corpus.root + "/ar/s.json")
        let (_, out) = try await corpus.ingest(jobs: 1)
        defer { TestSupport.remove(out) }
        _ = try Report.write(output: out)
        let html = try String(contentsOfFile: out + "/report/ar.html", encoding: .utf8)
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(!html.contains("<script>alert"))
        #expect(html.contains(#"lang="ar" dir="rtl""#))
        #expect(html.contains("<audio controls preload=\"none\" src=\""))  // the clip is reachable from the report
    }

    @Test func longListsArePaginated() throws {
        let out = try TestSupport.temporaryFolder("voxgate-report")
        defer { TestSupport.remove(out) }
        var lines = ""
        for i in 0..<1234 {
            lines +=
                #"{"clip":"en/c\#(i).wav","status":"rejected","reasons":["too_short"],"detail":"too_short","language":"en","duration_s":0.5,"frames":8000}"#
                + "\n"
        }
        try TestSupport.write(lines, to: out + "/decisions.jsonl")
        try TestSupport.write(#"{"locales": {}}"#, to: out + "/totals.json")
        let summary = try Report.write(output: out, pageSize: 500)
        #expect(summary.pages == 5)  // index, en, en-2, en-3, report.json
        let third = try String(contentsOfFile: out + "/report/en-3.html", encoding: .utf8)
        #expect(third.components(separatedBy: "<tr><th scope=row>").count - 1 == 234)
    }

    /// A real browser: Chromium loads the report of TestAudio from file://, with no console errors or
    /// failed requests, and its per-language table agrees with totals.json.
    @Test(.enabled(if: Prerequisite.chromium.runs, Prerequisite.chromium.comment))
    func chromiumLoadsTheReport() async throws {
        try Prerequisite.chromium.require()
        let out = try TestSupport.temporaryFolder("voxgate-report")
        defer { TestSupport.remove(out) }
        _ = try await Ingest.run(
            IngestOptions(root: TestSupport.testAudioUploads, output: out, config: PipelineConfig(), jobs: 2))
        _ = try Report.write(output: out)
        let flags = ["--headless=new", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0"]
        let index = try TestSupport.run("chromium", flags + ["--dump-dom", "file://\(out)/report/index.html"])
        #expect(index.status == 0)
        for page in ["index.html", "en.html"] {
            let r = try TestSupport.run("chromium", flags + ["--dump-dom", "file://\(out)/report/\(page)"])
            let problems = r.error.split(separator: "\n").filter {
                $0.contains("Uncaught") || ($0.contains("CONSOLE") && $0.contains("ERROR")) || $0.contains("net::ERR")
            }
            #expect(problems.isEmpty, "\(page): \(problems)")
        }
        let totals =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: out + "/totals.json"))) as! [String: Any]
        let locales = totals["locales"] as! [String: [String: Any]]
        // Rows: <tr><th scope="row"><a href="en.html">en</a></th><td>…</td><td class="n">clips</td>…
        let rows = index.output.components(separatedBy: "<tr><th scope=\"row\">").dropFirst()
        #expect(rows.count == 4)
        for row in rows {
            let tag = row.components(separatedBy: "\">")[1].components(separatedBy: "</a>")[0]
            let clips = row.components(separatedBy: "<td class=\"n\">")[1].components(separatedBy: "</td>")[0]
            let expected = tag == "klingon" ? (locales["und"]?["clips"] as? Int) : (locales[tag]?["clips"] as? Int)
            #expect(Int(clips) == expected, "\(tag): \(clips)")
        }
        let shot = TestSupport.packageRoot + "/.build/report-screenshot.png"
        _ = try TestSupport.run(
            "chromium", flags + ["--screenshot=\(shot)", "--window-size=1280,900", "file://\(out)/report/index.html"])
        #expect(FileManager.default.fileExists(atPath: shot))
    }
}
