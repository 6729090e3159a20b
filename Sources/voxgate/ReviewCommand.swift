import ArgumentParser
import Logging
import VoxgateCorpus
import VoxgateReview

/// `voxgate review <out> --listen HOST:PORT --reviewers FILE`.
struct ReviewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "review",
        abstract:
            "Serve the review page and API: reviewers listen to clips and vote; the next ingest or merge applies the votes.",
        discussion: """
            Votes are kept in <out>/.voxgate/votes.sqlite. Serve it behind a TLS proxy (see the README); \
            pass --secure-cookies there. Stop with Ctrl-C or SIGTERM.
            """)

    @Argument(help: "The --out folder of a finished ingest.")
    var out: String

    @Option(help: "Address to listen on, HOST:PORT (e.g. 127.0.0.1:8080; [::1]:8080).")
    var listen = "127.0.0.1:8080"

    @Option(help: "The reviewers YAML file (name, token_sha256, languages per reviewer).")
    var reviewers: String

    @Option(help: "Accepted clips sampled into each language's queue.")
    var sample = 20

    @Flag(help: "Mark the session cookie Secure (when served over HTTPS by a proxy).")
    var secureCookies = false

    @OptionGroup var log: LogOptions

    func validate() throws {
        guard ReviewServer.listenAddress(listen) != nil else {
            throw ValidationError("--listen takes HOST:PORT, e.g. 127.0.0.1:8080 (got '\(listen)')")
        }
        guard (0...10_000).contains(sample) else { throw ValidationError("--sample takes 0…10000 (got \(sample))") }
    }

    func run() async throws {
        let logger = try log.makeLogger()
        let (host, port) = ReviewServer.listenAddress(listen)!
        do {
            var options = ReviewServerOptions(
                output: out, host: host, port: port, reviewers: try ReviewerList.load(path: reviewers))
            options.secureCookies = secureCookies
            options.sample = sample
            options.logger = logger
            try await ReviewServer.serve(options) { port in
                logger.notice("review server listening", metadata: ["address": "\(host):\(port)", "out": "\(out)"])
            }
        } catch {
            throw ExitCodes.report(error, logger: logger)
        }
    }
}
