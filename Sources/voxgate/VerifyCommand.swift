import ArgumentParser
import VoxgateCorpus
import VoxgateOutputs

/// `voxgate verify <dir>`.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a whole release against its ledger: every shard, every member's hash, every published file.",
        discussion: """
            Reads nothing but the folder and writes nothing (the ledger is opened read-only). Exit 0 only when \\
            everything holds; 65 with one line per problem otherwise (a changed member, a missing shard, a file \\
            edited by hand); 65 too when the folder has no usable ledger. Run it before publishing a release, \\
            and after copying one.
            """)

    @Argument(help: "A release folder (an ingest's or a merge's --out).")
    var folder: String

    func run() async throws {
        let report: ReleaseVerifier.Report
        do { report = try await ReleaseVerifier.verify(folder) } catch { throw ExitCodes.report(error) }
        if report.isIntact {
            print(
                "verified: \(report.shards) shard(s), \(report.members) audio member(s), \(report.files) published file(s) "
                    + "match the ledger")
            return
        }
        for problem in report.problems { Terminal.standardError("voxgate: \(folder): \(problem)") }
        Terminal.standardError(
            "voxgate: \(folder): \(report.problems.count) problem(s): the release is not as voxgate wrote it; restore the "
                + "named files from a copy (or rerun voxgate on the folder for regenerated files), then verify again")
        throw ExitCodes.invalidPipeline
    }
}
