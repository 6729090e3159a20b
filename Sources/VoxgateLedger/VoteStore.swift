import Foundation
import GRDB
public import VoxgateCorpus

/// Reviewers' votes, `<out>/.voxgate/votes.sqlite`: a database of its own beside the ledger, in WAL mode,
/// so the review server writes while an ingest run holds the folder's lock and reads the ledger, and a
/// run reads the votes without ever waiting for the server (readers never block the writer in WAL).
///
/// One row per reviewer and clip: a later vote replaces the earlier one. Reviewer names and notes stay
/// here; runs read only the counts (``tallies()``).
public final class VoteStore: Sendable {
    public static let relativePath = ".voxgate/votes.sqlite"

    /// One reviewer's vote on one clip.
    public struct Vote: Sendable, Equatable {
        public var reviewer: String
        public var clip: String
        public var accept: Bool
        public var note: String
        public var at: String
        public init(reviewer: String, clip: String, accept: Bool, note: String, at: String) {
            self.reviewer = reviewer
            self.clip = clip
            self.accept = accept
            self.note = note
            self.at = at
        }
    }

    public let path: String
    private let pool: DatabasePool

    /// Opens (creating when missing) the votes of `output` (``PrivateDatabase``, in WAL mode).
    public init(output: String) throws(RunError) {
        path = output + "/" + Self.relativePath
        do {
            pool = try PrivateDatabase.open(
                path: path, label: "voxgate.votes", busyMode: .timeout(10), migrator: Self.migrator,
                what: "the review votes", newerCode: .outputUnusable
            ) { path, configuration in try DatabasePool(path: path, configuration: configuration) }
        } catch let error as RunError {
            throw error
        } catch {
            throw RunError(
                .outputUnusable,
                "the review votes '\(path)' cannot be opened (\(Ledger.reason(error))); restore the file from a backup "
                    + "or move it aside (its votes are then lost)", path: path)
        }
    }

    /// The schema. Migrations are only ever appended.
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.create(table: "vote") { t in
                t.column("reviewer", .text).notNull()
                t.column("clip", .text).notNull()
                t.column("vote", .text).notNull().check { ["accept", "reject"].contains($0) }
                t.column("note", .text).notNull()
                t.column("at", .text).notNull()
                t.primaryKey(["reviewer", "clip"])
            }
            try db.create(index: "vote_clip", on: "vote", columns: ["clip"])
        }
        return m
    }

    /// The votes of `output` when it has any, else nil (a folder nobody reviewed gets no votes file).
    public static func existing(output: String) throws(RunError) -> VoteStore? {
        FileManager.default.fileExists(atPath: output + "/" + relativePath) ? try VoteStore(output: output) : nil
    }

    /// Records a vote, replacing the reviewer's earlier vote on the clip.
    public func cast(_ vote: Vote) throws {
        try pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO vote (reviewer, clip, vote, note, at) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (reviewer, clip) DO UPDATE SET vote = excluded.vote, note = excluded.note, at = excluded.at
                    """,
                arguments: [vote.reviewer, vote.clip, vote.accept ? "accept" : "reject", vote.note, vote.at])
        }
    }

    /// Accept and reject counts by clip.
    public func tallies() throws -> [String: ReviewTally] {
        try pool.read { db in
            var result: [String: ReviewTally] = [:]
            let rows = try Row.fetchCursor(
                db,
                sql: "SELECT clip, sum(vote = 'accept') AS a, sum(vote = 'reject') AS r FROM vote GROUP BY clip")
            while let row = try rows.next() {
                result[row["clip"]] = ReviewTally(accept: row["a"], reject: row["r"])
            }
            return result
        }
    }

    /// One reviewer's votes by clip (their progress).
    public func votes(of reviewer: String) throws -> [String: Vote] {
        try pool.read { db in
            var result: [String: Vote] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT * FROM vote WHERE reviewer = ?", arguments: [reviewer]) {
                let v = Vote(
                    reviewer: row["reviewer"], clip: row["clip"], accept: (row["vote"] as String) == "accept",
                    note: row["note"], at: row["at"])
                result[v.clip] = v
            }
            return result
        }
    }

    /// Every vote (tests and audits).
    public func count() throws -> Int {
        try pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM vote") ?? 0 }
    }
}
