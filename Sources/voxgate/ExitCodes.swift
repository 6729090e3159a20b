import ArgumentParser
import Logging
import VoxgateCorpus
import VoxgateOutputs

/// voxgate's documented exit codes (BSD sysexits where one fits).
enum ExitCodes {
    static let invalidPipeline = ExitCode(65)  // EX_DATAERR
    static let inputUnusable = ExitCode(66)  // EX_NOINPUT
    static let outputUnusable = ExitCode(73)  // EX_CANTCREAT
    static let busy = ExitCode(75)  // EX_TEMPFAIL
    static let stateUnusable = ExitCode(76)  // EX_PROTOCOL: ledger corrupt, newer, or not a voxgate folder
    static let internalError = ExitCode(70)  // EX_SOFTWARE
    static let interrupted = ExitCode(130)

    /// Prints `error` for an operator and returns the exit code that classifies it.
    static func report(_ error: any Error, logger: Logger? = nil) -> ExitCode {
        let (message, code): (String, ExitCode) =
            switch error {
            case let e as ConfigError: ("invalid pipeline file: \(e)", invalidPipeline)
            case let e as RunError where e.code == .inputDamaged: ("damaged input: \(e.message)", invalidPipeline)
            case let e as RunError where e.code == .busy: ("\(e.message)", busy)
            case let e as RunError where e.code == .ledgerUnusable:
                ("the output folder's state: \(e.message)", stateUnusable)
            case let e as RunError where e.code == .inputUnusable:
                ("cannot read the input: \(e.message)", inputUnusable)
            case let e as RunError: ("cannot write the outputs: \(e.message)", outputUnusable)
            case is CancellationError:
                (
                    "interrupted: nothing of this run was kept (its partial files were removed; earlier runs' outputs are as they were)",
                    interrupted
                )
            default: ("internal error: \(error)", internalError)
            }
        Terminal.standardError("voxgate: error: " + message)
        logger?.error("run failed", metadata: ["exit_code": "\(code.rawValue)", "error": "\(message)"])
        return code
    }
}
