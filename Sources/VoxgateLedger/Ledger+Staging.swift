import Foundation
import GRDB
public import VoxgateCorpus

/// A run's clip records wait on disk until the run commits.
///
/// A run decides every clip before it commits, and a first run over N clips writes N records (each with its
/// analysis and fingerprint, a few kB). Kept in memory until the commit, they made a run's memory grow with
/// the corpus. They go instead, in batches, to a temporary table: SQLite's temp store (a file), which only
/// this connection sees and which vanishes with it. ``commit(_:)`` moves them into `clip` inside the run's
/// one transaction, so a run killed before its commit still leaves the ledger exactly as it was.
extension Ledger {
    static let stageTable = "temp.staged_clip"

    /// Adds clip records to the run's stage; ``commit(_:)`` writes them (after `change.clips`' shards, before
    /// `change.clips`), giving records whose run fields are 0 the run's id. A record staged twice: the later wins.
    public func stage(_ records: [ClipRecord]) throws(RunError) {
        guard !records.isEmpty else { return }
        try write { db in
            let names = try Self.createStage(db)
            let sql =
                "INSERT INTO \(Self.stageTable) (\(names.joined(separator: ", "))) VALUES "
                + "(\(names.map { _ in "?" }.joined(separator: ", ")))"
            let statement = try db.cachedStatement(sql: sql)
            for record in records {
                let row = try record.databaseDictionary
                try statement.execute(arguments: StatementArguments(names.map { row[$0] ?? .null }))
            }
        }
    }

    /// Forgets what was staged and not committed (a run that failed and is retried on the same connection).
    public func discardStage() throws(RunError) {
        try write { db in
            _ = try Self.createStage(db)
            try db.execute(sql: "DELETE FROM \(Self.stageTable)")
        }
    }

    /// The stage has the columns of `clip` (and none of its constraints); returns their names.
    static func createStage(_ db: Database) throws -> [String] {
        try db.execute(sql: "CREATE TEMP TABLE IF NOT EXISTS staged_clip AS SELECT * FROM main.clip WHERE 0")
        return try db.columns(in: "clip", in: "main").map(\.name)
    }

    /// Moves the staged records into `clip` (inside ``commit(_:)``'s transaction), in the order they were staged.
    static func commitStage(_ db: Database, run id: Int64) throws {
        let names = try createStage(db)
        let values = names.map { name in
            name == "first_run" || name == "analysed_run" ? "CASE WHEN \(name) = 0 THEN \(id) ELSE \(name) END" : name
        }
        try db.execute(
            sql: "INSERT OR REPLACE INTO main.clip (\(names.joined(separator: ", "))) "
                + "SELECT \(values.joined(separator: ", ")) FROM \(stageTable) ORDER BY rowid")
        try db.execute(sql: "DELETE FROM \(stageTable)")
    }
}
