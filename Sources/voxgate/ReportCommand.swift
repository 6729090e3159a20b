import ArgumentParser
import VoxgateOutputs
import VoxgateReport

/// `voxgate report <out>`.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write the validation report (<out>/report/index.html, report.json) for a finished ingest.")

    @Argument(help: "The --out folder of a finished ingest.")
    var out: String

    func run() throws {
        do {
            // The report reads the release files a run regenerates: not while a run writes them.
            let lock = try RunLock(output: out)
            defer { withExtendedLifetime(lock) {} }
            let summary = try Report.write(output: out)
            print(
                "report: \(summary.folder)/index.html (\(summary.pages) files; largest \(summary.largestPageBytes) bytes)"
            )
        } catch {
            throw ExitCodes.report(error)
        }
    }
}
