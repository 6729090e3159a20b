import ArgumentParser
import VoxgateCorpus
import VoxgateOutputs
import VoxgateReport
import VoxgateRun

/// `voxgate merge <partition dirs…> --out <dir>`.
struct MergeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Join the partitions of a cluster run into one release, byte-identical to a single run.",
        discussion: """
            Give every partition's output folder (made by 'voxgate ingest … --partition I/N'). The merge checks \\
            that all N completed with the same voxgate, configuration, speaker key and upload root, decides every \\
            clip again from the partitions' ledgers (duplicates across partitions included) without decoding, \\
            and writes new shards by copying the partitions' audio members, never re-encoding.
            """)

    @Argument(help: "The partition output folders (any order).")
    var partitions: [String]

    @Option(name: .long, help: "Output folder for the merged release (created if missing; must not hold one).")
    var out: String

    @Option(name: .long, help: "Workers. Default: the number of cores.")
    var jobs: Int = Terminal.coreCount

    @Option(
        name: [.customLong("speaker-key-file"), .customLong("speaker-key")],
        help: "The speaker key the partitions used. Default: the first partition folder's speaker.key.")
    var speakerKey: String?

    @Flag(name: .long, help: "Replace a release already in --out.")
    var force = false

    @Option(name: .long, help: "Write Prometheus metrics here after a successful merge.")
    var metricsFile: String?

    @Flag(name: .long, help: "Do not write the validation report (<out>/report/).")
    var noReport = false

    @Flag(name: .long, help: "No progress display.")
    var quiet = false

    @OptionGroup var log: LogOptions

    func validate() throws {
        guard !partitions.isEmpty else { throw ValidationError("give every partition's output folder") }
        guard (1...1024).contains(jobs) else { throw ValidationError("--jobs must be 1...1024 (got \(jobs))") }
    }

    func run() async throws {
        let logger = try log.makeLogger()
        do {
            var merge = MergeOptions(
                partitions: partitions, output: out, jobs: jobs, speakerKeyPath: speakerKey, force: force)
            merge.logger = logger
            let options = merge
            let display = ProgressDisplay(enabled: !quiet)
            let summary = try await Interruption.cancellingOnSignals {
                try await Merge.run(options) { display.update($0) }
            }
            display.finish()
            SummaryPrinter.print(summary)
            if let metricsFile { try MetricsFile.write(summary, to: metricsFile) }
            if !noReport {
                let report = try Report.write(output: out)
                print("report: \(report.folder)/index.html")
            }
        } catch {
            throw ExitCodes.report(error, logger: logger)
        }
    }
}
