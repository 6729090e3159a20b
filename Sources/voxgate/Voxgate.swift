import ArgumentParser
import VoxgateOutputs
import VoxgateRun

/// `voxgate`: the command line. Each subcommand builds a plain options value and calls the library.
@main
struct Voxgate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "voxgate",
        abstract: "Decode, measure, check and shard speech-corpus uploads.",
        discussion: """
            Exit codes: 0 the run finished (rejected clips are not errors); 64 bad command line; \
            65 invalid pipeline file; 66 upload root unusable; 73 output folder unusable or a write failed; \
            70 internal error; 75 output folder in use by another run; 76 the output folder's ledger is corrupt, \
            from a newer voxgate, or the folder is not voxgate's; 130 interrupted.
            """,
        version: VoxgateVersion.current,
        subcommands: [
            IngestCommand.self, MergeCommand.self, ReportCommand.self, CatalogCommand.self, VerifyCommand.self,
            ReviewCommand.self,
        ])

    static func main() async {
        ProcessMemory.returnFreedMemory()
        await main(nil)
    }
}
