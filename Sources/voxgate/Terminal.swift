import Foundation

/// The few facts about the terminal and machine the CLI needs.
enum Terminal {
    static var coreCount: Int { ProcessInfo.processInfo.activeProcessorCount }
    static var standardErrorIsTTY: Bool { isatty(STDERR_FILENO) == 1 }

    static func standardError(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    static func standardErrorInPlace(_ text: String) {
        FileHandle.standardError.write(Data(("\r\u{1B}[2K" + text).utf8))
    }

    /// `1:02:03` or `2:03`.
    static func clock(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "--:--" }
        let s = Int(seconds.rounded())
        return s >= 3600
            ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
