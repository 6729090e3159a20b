/// A failure of the run itself (never of one clip, which is a decision with reasons): the upload root
/// or the output folder cannot be used. Says what went wrong and what to do, and names the path.
public struct RunError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure; the CLI maps each to a documented exit code.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Value: String, Sendable {
            case inputUnusable = "input", outputUnusable = "output", busy, ledgerUnusable = "ledger"
            case inputDamaged = "damaged"
        }
        let value: Value
        /// The upload root or `withdrawals.txt` cannot be read.
        public static var inputUnusable: Self { .init(value: .inputUnusable) }
        /// An input voxgate did not write in this run fails its own checks: a partition marker out of range, a
        /// shard member that no longer matches the hash recorded for it, a released file changed outside voxgate.
        public static var inputDamaged: Self { .init(value: .inputDamaged) }
        /// The output folder cannot be created or written, or already holds a run.
        public static var outputUnusable: Self { .init(value: .outputUnusable) }
        /// The output folder's ledger is corrupt, from a newer voxgate, or the folder is not voxgate's.
        public static var ledgerUnusable: Self { .init(value: .ledgerUnusable) }
        /// Another run holds the output folder's lock.
        public static var busy: Self { .init(value: .busy) }
        public var description: String { value.rawValue }
    }

    public var code: Code
    /// What went wrong and what to do.
    public var message: String
    /// The file or folder concerned.
    public var path: String

    public init(_ code: Code, _ message: String, path: String) {
        self.code = code
        self.message = message
        self.path = path
    }

    public var description: String { message }
}
