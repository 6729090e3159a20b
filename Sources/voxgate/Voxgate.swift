import ArgumentParser

/// `voxgate`: the command line. Each subcommand builds a plain options value and calls the library.
@main
struct Voxgate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "voxgate",
        abstract: "Decode, measure, check and shard speech-corpus uploads.",
        discussion: """
            Exit codes: 0 the run finished (rejected clips are not errors); 64 bad command line; \
            65 invalid pipeline file; 66 upload root unusable; 73 output folder unusable or a write failed; \
            70 internal error; 75 output folder in use by another run; 130 interrupted.
            """,
        version: "0.1.0",
        subcommands: [IngestCommand.self, ReportCommand.self, CatalogCommand.self])
}
