import ArgumentParser
import VoxgateOutputs

/// `voxgate catalog [--out DIR]`.
struct CatalogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalog",
        abstract:
            "List the language catalog; with --out, accepted hours for every catalog language (least served first).")

    @Option(name: .long, help: "A run's output folder: show its hours per catalog language, zeros included.")
    var out: String?

    func run() throws {
        do {
            print(try out.map { try CatalogView.coverage(output: $0) } ?? CatalogView.list(), terminator: "")
        } catch {
            throw ExitCodes.report(error)
        }
    }
}
