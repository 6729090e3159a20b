/// Why a file could not be decoded. A decode error rejects one clip; it never stops a run.
public struct DecodeError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A stable category for a decode failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Value: String, Sendable {
            case unreadable, unsupportedFormat, corrupt, empty, truncated
        }
        let value: Value
        /// The file could not be opened or read at all (permissions, I/O error, vanished).
        public static var unreadable: Self { .init(value: .unreadable) }
        /// The content is not an audio format voxgate decodes.
        public static var unsupportedFormat: Self { .init(value: .unsupportedFormat) }
        /// The content claims to be audio but the decoder failed on it.
        public static var corrupt: Self { .init(value: .corrupt) }
        /// The stream decoded to zero frames.
        public static var empty: Self { .init(value: .empty) }
        /// The stream ended before the length its header declares.
        public static var truncated: Self { .init(value: .truncated) }
        public var description: String { value.rawValue }
    }

    /// The category of the failure.
    public var code: Code
    /// What went wrong and what to do, as a sentence for the validation report.
    public var message: String
    /// The file concerned.
    public var path: String

    public init(_ code: Code, _ message: String, path: String) {
        self.code = code
        self.message = message
        self.path = path
    }

    public var description: String { "\(path): \(message)" }
}
