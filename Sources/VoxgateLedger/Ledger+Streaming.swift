import Foundation
import GRDB
public import VoxgateCorpus

/// Reading and recording clips a window at a time: what a run over more clips than it may hold uses
/// (`voxgate merge`). Memory is bounded by the window, never by the ledger.
extension Ledger {
    /// Up to `limit` clips after `path` (nil: from the first), in path order: the byte order of the UTF-8 path
    /// (SQLite's BINARY collation), which is the order of every output (``ClipSource/pathOrder(_:_:)``).
    /// - Parameter light: leave out the analyses and fingerprints.
    public func clips(after path: String?, limit: Int, light: Bool = false) throws(RunError) -> [ClipRecord] {
        try read { db in
            try ClipRecord.fetchAll(
                db, sql: "SELECT \(light ? Self.lightColumns : "*") FROM clip WHERE path > ? ORDER BY path LIMIT ?",
                arguments: [path ?? "", limit])
        }
    }

    /// Every clip, in path order, one at a time (a cursor: no array of every record).
    /// - Parameter light: leave out the analyses and fingerprints.
    public func forEachClip(light: Bool = false, _ body: (ClipRecord) throws -> Void) throws(RunError) {
        try read { db in
            let cursor = try ClipRecord.fetchCursor(
                db, sql: "SELECT \(light ? Self.lightColumns : "*") FROM clip ORDER BY path")
            while let record = try cursor.next() { try body(record) }
        }
    }

    /// The clips whose paths lie between `first` and `last` (both included), whole, in path order: a run reads the
    /// records it re-decides a range at a time as it reaches them, never all at once.
    public func clips(from first: String, through last: String) throws(RunError) -> [ClipRecord] {
        try read { db in
            try ClipRecord.fetchAll(
                db, sql: "SELECT * FROM clip WHERE path >= ? AND path <= ? ORDER BY path", arguments: [first, last])
        }
    }

    /// The released clips' registrations (``ClipRecord/kept``) between `first` and `last` (both included), in path
    /// order: path, split, registration and fingerprint, no analysis.
    public func keptClips(from first: String, through last: String) throws(RunError) -> [ClipRecord] {
        try read { db in
            try ClipRecord.fetchAll(
                db,
                sql: "SELECT \(Self.lightColumns), fingerprint FROM clip WHERE path >= ? AND path <= ? "
                    + "AND kept IS NOT NULL ORDER BY path", arguments: [first, last])
        }
    }

    /// One clip's record, or nil when the ledger holds no such clip.
    /// - Parameter light: leave out the analysis and fingerprint.
    public func clip(at path: String, light: Bool = false) throws(RunError) -> ClipRecord? {
        try read { db in
            try ClipRecord.fetchOne(
                db, sql: "SELECT \(light ? Self.lightColumns : "*") FROM clip WHERE path = ?", arguments: [path])
        }
    }

    /// The paths of the clips whose contributor withdrew (their metadata is erased).
    public func withdrawnClips() throws(RunError) -> [String] {
        try read { db in try String.fetchAll(db, sql: "SELECT path FROM clip WHERE withdrawn = 1 ORDER BY path") }
    }

    /// The clips released in `shard`, by path, without their analyses.
    public func clips(inShard shard: String) throws(RunError) -> [ClipRecord] {
        try read { db in
            try ClipRecord.fetchAll(
                db, sql: "SELECT \(Self.lightColumns) FROM clip WHERE shard = ? ORDER BY path", arguments: [shard])
        }
    }

    /// Every column but the analysis and the fingerprint.
    static let lightColumns =
        "path, language, size, mtime_ns, sidecar_size, sidecar_mtime_ns, file_sha256, status, reasons, detail, "
        + "duplicate_of, duration_s, shard, member, audio_sha256, split, withdrawn, first_run, analysed_run, kept"

    /// Records one run whose clips are streamed in, in one transaction like ``commit(_:)``: `body` gets the
    /// run's id and a function that records a clip (its run fields 0 become the id), and returns the rest of
    /// the run's change (`change.run` replaces the placeholder the run's row starts as). Foreign keys are
    /// checked when the transaction ends, so clips may name shards recorded after them. A throw from `body`
    /// rolls everything back (a `CancellationError` is passed on as it is).
    /// - Returns: the run's id.
    @discardableResult
    public func commit(
        run placeholder: RunRecord,
        streaming body: (_ id: Int64, _ record: (ClipRecord) throws -> Void) throws -> LedgerChange
    ) throws -> Int64 {
        do { return try queue.write { db in try Self.commit(run: placeholder, streaming: body, in: db) } } catch let
            error as CancellationError
        { throw error } catch { throw failure(error) }
    }

    private static func commit(
        run placeholder: RunRecord,
        streaming body: (_ id: Int64, _ record: (ClipRecord) throws -> Void) throws -> LedgerChange,
        in db: Database
    ) throws -> Int64 {
        try db.execute(sql: "PRAGMA defer_foreign_keys = ON")
        var run = placeholder
        try run.insert(db)
        let id = run.id!
        var change = try body(id) { clip throws in
            var clip = clip
            if clip.firstRun == 0 { clip.firstRun = id }
            if clip.analysedRun == 0 { clip.analysedRun = id }
            try clip.insert(db)
        }
        change.run.id = id
        try change.run.update(db)
        try Self.record(change, run: id, in: db)
        return id
    }
}
