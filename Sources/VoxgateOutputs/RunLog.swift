import Foundation
public import Logging

/// voxgate's logs, through swift-log: one line per event, human-readable or JSON (one object per line,
/// for log shippers), to standard error or appended to a file. Lines are written whole with one
/// `write(2)` each, so concurrent writers never interleave within a line.
public struct RunLogHandler: LogHandler {
    public enum Format: String, Sendable, CaseIterable {
        case human
        case json
    }

    /// Where lines go: a file descriptor owned for the process's lifetime.
    public final class Sink: Sendable {
        let fd: Int32
        /// Standard error.
        public static let standardError = Sink(fd: 2)
        init(fd: Int32) { self.fd = fd }

        /// Opens `path` for appending (created 0644 when missing).
        public static func file(_ path: String) throws -> Sink {
            let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                throw CocoaError(
                    .fileWriteUnknown,
                    userInfo: [NSFilePathErrorKey: path, NSLocalizedDescriptionKey: String(cString: strerror(errno))])
            }
            return Sink(fd: fd)
        }

        func write(_ line: String) {
            var bytes = Array(line.utf8)
            bytes.append(10)
            bytes.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let n = Foundation.write(fd, raw.baseAddress! + offset, raw.count - offset)
                    if n < 0 && errno == EINTR { continue }
                    if n <= 0 { return }
                    offset += n
                }
            }
        }
    }

    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public var logLevel: Logger.Level = .info
    private let label: String
    private let format: Format
    private let sink: Sink

    public init(label: String, format: Format, sink: Sink, level: Logger.Level = .info) {
        self.label = label
        self.format = format
        self.sink = sink
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { $1 } }
        if let extra = event.metadata { all.merge(extra) { $1 } }
        let time = Self.timestamp()
        switch format {
        case .human:
            let fields = all.keys.sorted().map { "\($0)=\(Self.human(all[$0]!))" }.joined(separator: " ")
            sink.write("\(time) \(event.level) \(label): \(event.message)" + (fields.isEmpty ? "" : " " + fields))
        case .json:
            var object: [(String, JSONText)] = [
                ("ts", .string(time)), ("level", .string(event.level.rawValue)), ("logger", .string(label)),
                ("msg", .string(event.message.description)),
            ]
            for key in all.keys.sorted() { object.append((key, Self.json(all[key]!))) }
            sink.write(JSONText.object(object).rendered)
        }
    }

    static func timestamp() -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: Date())
    }

    static func human(_ value: Logger.MetadataValue) -> String {
        let text = value.description
        return text.contains(" ") || text.isEmpty ? "\"\(text)\"" : text
    }

    static func json(_ value: Logger.MetadataValue) -> JSONText {
        switch value {
        case .string(let s):
            if let i = Int(s) { return .int(i) }
            if s.contains("."), let d = Double(s), d.isFinite { return .double(d) }
            return .string(s)
        case .stringConvertible(let c):
            if let i = c as? Int { return .int(i) }
            if let d = c as? Double { return .double(d) }
            return .string(c.description)
        case .array(let a): return .array(a.map(json))
        case .dictionary(let d): return .object(d.keys.sorted().map { ($0, json(d[$0]!)) })
        }
    }
}
