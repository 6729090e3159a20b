import ArgumentParser
import Foundation
import Logging
import VoxgateCorpus
import VoxgateOutputs
import VoxgateReport
import VoxgateRun

/// `voxgate ingest <root> --out <dir>`.
struct IngestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Ingest an upload tree <root>/<tag>/<clip>: decisions.jsonl, WebDataset shards and totals.",
        discussion: """
            Runs are incremental: --out keeps a ledger (.voxgate/ledger.sqlite), and a run decodes only clips \
            that are new or changed (size or modification time), re-decides the others from the ledger, appends \
            new shards, and rewrites released shards only to remove clips (withdrawals, re-decisions).
            """)

    @Argument(help: "Upload root: one folder per language tag, holding clips and <clip-id>.json sidecars.")
    var root: String

    @Option(name: .long, help: "Output folder (created if missing).")
    var out: String

    @Option(name: .long, help: "Pipeline file (YAML). Default: the built-in values of pipelines/default.yaml.")
    var pipeline: String?

    @Option(name: .long, help: "Decode workers. Default: the number of cores.")
    var jobs: Int = Terminal.coreCount

    @Option(
        name: [.customLong("speaker-key-file"), .customLong("speaker-key")],
        help: "The corpus's secret for speaker pseudonyms and splits. Default: <out>/speaker.key, created if missing.")
    var speakerKey: String?

    @Option(
        name: .customLong("cv-buckets"),
        help: "Common Voice release input: the clip TSVs to ingest, comma-separated (validated,other,invalidated).")
    var cvBuckets: String = CommonVoiceRelease.buckets.joined(separator: ",")

    @Flag(name: .long, help: "Start --out over: remove its release and ledger (the speaker key is kept).")
    var force = false

    @Option(
        name: .long,
        help:
            "Withdraw a contributor's consent (client_id; repeatable): their clips leave every shard, as if listed in withdrawals.txt."
    )
    var withdraw: [String] = []

    @Flag(
        name: .long,
        help: "Also compare the SHA-256 of every unchanged file with the ledger's (reads every file, decodes none).")
    var verifyHashes = false

    @Option(
        name: .long, help: "Write Prometheus metrics here after a successful run (node_exporter textfile collector).")
    var metricsFile: String?

    @Flag(name: .long, help: "Do not write the validation report (<out>/report/) at the end.")
    var noReport = false

    @Flag(name: .long, help: "No progress display.")
    var quiet = false

    @Option(
        name: .long,
        help:
            "Decide only partition I of N (I/N, 0-based), or 'env' for the cluster's task index (SLURM_ARRAY_TASK_ID/COUNT, JOB_COMPLETION_INDEX). --out then holds that partition; 'voxgate merge' joins them."
    )
    var partition: String?

    @Option(
        name: .long, help: "The number of partitions, with the index from JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID.")
    var partitions: Int?

    @OptionGroup var log: LogOptions

    func validate() throws {
        if case .failure(let e) = Partition.resolve(
            partition: partition, partitions: partitions, environment: ProcessInfo.processInfo.environment)
        {
            throw ValidationError(e.message)
        }
        let buckets = cvBuckets.split(separator: ",").map(String.init)
        guard !buckets.isEmpty, buckets.allSatisfy(CommonVoiceRelease.buckets.contains) else {
            throw ValidationError(
                "--cv-buckets takes a comma-separated list of \(CommonVoiceRelease.buckets.joined(separator: ", "))")
        }
        if UploadConfinement.outputIsInside(root: root, output: out) {
            throw ValidationError(
                "--out '\(out)' is inside the upload root '\(root)': a later run would ingest its own outputs and "
                    + "secrets as uploads; choose an output folder outside the root")
        }
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1 (got \(jobs))") }
        guard jobs <= 1024 else {
            throw ValidationError("--jobs \(jobs) is more workers than makes sense; use at most 1024")
        }
    }

    func run() async throws {
        let logger = try log.makeLogger()
        do {
            let config =
                try pipeline.map { path throws(ConfigError) in try PipelineConfig.load(path: path) } ?? PipelineConfig()
            var input = InputOptions()
            input.commonVoiceBuckets = cvBuckets.split(separator: ",").map(String.init)
            var ingest = IngestOptions(
                root: root, output: out, config: config, jobs: jobs, speakerKeyPath: speakerKey, force: force,
                input: input)
            ingest.withdraw = Set(withdraw)
            ingest.verifyHashes = verifyHashes
            ingest.logger = logger
            ingest.partition = try Partition.resolve(
                partition: partition, partitions: partitions, environment: ProcessInfo.processInfo.environment
            ).get()
            let options = ingest
            let display = ProgressDisplay(enabled: !quiet)
            let summary = try await Interruption.cancellingOnSignals {
                try await Ingest.run(options) { display.update($0) }
            }
            display.finish()
            SummaryPrinter.print(summary)
            if let metricsFile { try MetricsFile.write(summary, to: metricsFile) }
            if !noReport {
                if summary.upToDate && Report.isCurrent(output: out) {
                    print("report: \(out)/report/index.html (up to date)")
                } else {
                    let report = try Report.write(output: out)
                    print("report: \(report.folder)/index.html")
                }
            }
        } catch {
            throw ExitCodes.report(error, logger: logger)
        }
    }
}
