import Foundation
import Testing

/// Something a test needs that the repository cannot hold (a browser, a Debian package's recordings, root).
///
/// Use it as `@Test(.enabled(if: Prerequisite.x.runs, Prerequisite.x.comment))` and begin the test with
/// `try Prerequisite.x.require()`. Without the prerequisite the test is reported skipped with its reason, never
/// passed; with `CI=true` it runs anyway and fails on the missing prerequisite, so CI cannot go green on a skip.
struct Prerequisite: Sendable {
    var present: Bool
    var reason: String

    /// True on CI (`CI=true`, as GitHub Actions, GitLab and most runners set it).
    static let isCI = ["true", "1", "yes"].contains(ProcessInfo.processInfo.environment["CI"]?.lowercased() ?? "")

    /// The reason shown for a skipped test.
    var comment: Comment { Comment(rawValue: reason) }

    /// Whether the test runs: the prerequisite is there, or CI requires it.
    var runs: Bool { present || Self.isCI }

    /// Throws, failing the test, when the prerequisite is missing (reached only with `CI=true`).
    func require() throws {
        guard present else { throw TestFailure("missing test prerequisite (CI=true makes this a failure): \(reason)") }
    }

    static func tool(_ name: String, _ args: [String] = ["--version"], install: String) -> Prerequisite {
        Prerequisite(
            present: (try? TestSupport.run(name, args))?.status == 0,
            reason: "\(name) is not installed (\(install))")
    }

    static let chromium = tool("chromium", install: "scripts/setup --test installs it")

    /// Real recordings of people from Debian packages that `scripts/setup --test` installs (see ``RealSpeech``).
    static let realSpeech = Prerequisite(
        present: RealSpeech.installed,
        reason:
            "the real recordings of alsa-utils and klettres-data are not installed (scripts/setup --test installs them)"
    )

    /// Mounting a small tmpfs (root, and a container allowed to mount).
    static let tmpfsMount: Prerequisite = {
        guard getuid() == 0 else { return Prerequisite(present: false, reason: "mounting a small tmpfs needs root") }
        guard let probe = try? TestSupport.temporaryFolder("voxgate-mount-probe") else {
            return Prerequisite(present: false, reason: "no temporary folder")
        }
        defer { TestSupport.remove(probe) }
        let r = try? TestSupport.run("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", probe])
        if r?.status == 0 { _ = try? TestSupport.run("umount", [probe]) }
        return Prerequisite(
            present: r?.status == 0,
            reason:
                "cannot mount a tmpfs here: \(r?.error.trimmingCharacters(in: .whitespacesAndNewlines) ?? "mount did not run")"
        )
    }()
}
