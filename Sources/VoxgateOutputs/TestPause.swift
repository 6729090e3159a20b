import Foundation

/// A seam for the crash-safety tests: with `VOXGATE_TEST_PAUSE_AT=<phase>:<marker file>` in its environment, a
/// run creates the marker file when it reaches `<phase>` and waits there (60 s at most), so that a test can
/// SIGKILL it at exactly that moment and know it did. Phases: `committed` (the ledger commit is written, none
/// of the renames and deletions it owes is done) and `renaming` (the first of them is done, the others not).
/// Unset, as outside the tests, it costs one `getenv` per commit.
enum TestPause {
    static func at(_ phase: String) {
        guard let value = getenv("VOXGATE_TEST_PAUSE_AT").map({ String(cString: $0) }) else { return }
        let parts = value.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, parts[0] == phase else { return }
        FileManager.default.createFile(atPath: parts[1], contents: Data(phase.utf8))
        Thread.sleep(forTimeInterval: 60)
    }
}
