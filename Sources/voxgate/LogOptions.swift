import ArgumentParser
import Logging
import VoxgateCorpus
import VoxgateOutputs

/// The logging options every long-running command shares.
struct LogOptions: ParsableArguments {
    @Option(name: .long, help: "Log lines as human text or one JSON object per line (human, json).")
    var logFormat = "human"

    @Option(name: .long, help: "Append the log to this file instead of standard error.")
    var logFile: String?

    @Option(name: .long, help: "Least severe level logged: debug (one line per clip), info, notice, warning, error.")
    var logLevel = "notice"

    func validate() throws {
        guard RunLogHandler.Format(rawValue: logFormat) != nil else {
            throw ValidationError("--log-format takes human or json (got '\(logFormat)')")
        }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError(
                "--log-level takes one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")) (got '\(logLevel)')"
            )
        }
    }

    /// The logger these options describe.
    /// - Throws: the exit code of an unusable `--log-file`, after saying so.
    func makeLogger() throws -> Logger {
        let format = RunLogHandler.Format(rawValue: logFormat)!
        let level = Logger.Level(rawValue: logLevel)!
        do {
            let sink = try logFile.map { try RunLogHandler.Sink.file($0) } ?? .standardError
            return Logger(label: "voxgate") { RunLogHandler(label: $0, format: format, sink: sink, level: level) }
        } catch {
            throw ExitCodes.report(
                RunError(.outputUnusable, "cannot open --log-file '\(logFile ?? "")' (\(error))", path: logFile ?? ""))
        }
    }
}
