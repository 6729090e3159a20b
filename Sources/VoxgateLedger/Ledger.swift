import Foundation
import GRDB
public import VoxgateCorpus

/// An output folder's ledger, `<out>/.voxgate/ledger.sqlite`: the source of truth of everything the
/// folder holds. Every clip ever seen (with its analysis and decision), every shard (with its SHA-256),
/// every run, every withdrawal (audit only, no raw client_id), and the file operations a committed run
/// still owes (``PendingFile``). `decisions.jsonl`, totals and the report are regenerated from it.
///
/// A run changes it in exactly one transaction (``commit(_:)``), so a run killed at any moment leaves
/// it as it was before that run, or as it is after.
///
/// Sendable: its state is the path and GRDB's `DatabaseQueue`, which serializes every access, so a run's read-ahead
/// reads batches of records on other threads (``Ledger/clips(from:through:)``).
public final class Ledger: Sendable {
    /// Where the ledger lives, relative to the output folder. Private to the operator: never publish it.
    public static let relativePath = ".voxgate/ledger.sqlite"

    public let path: String
    let queue: DatabaseQueue

    /// Opens (creating when missing) and migrates the ledger of `output`.
    /// - Throws: `.ledgerUnusable` when the file is not a readable SQLite database (a 0-byte file included:
    ///   SQLite would take it for a new ledger) or was written by a newer voxgate; `.outputUnusable` when it
    ///   cannot be created.
    public init(output: String) throws(RunError) {
        path = output + "/" + Self.relativePath
        if let size = Self.fileSize(path), size == 0 {
            throw RunError(
                .ledgerUnusable,
                "the ledger '\(path)' is empty (0 bytes): it was damaged, not started; restore it from a backup, or "
                    + "move it aside and rerun with --force to rebuild the release from the uploads", path: path)
        }
        do {
            // The steps that need no key; a ledger with no clip yet takes the pseudonym step too (nothing to
            // rewrite), an older one when the run has its key (``keepPseudonyms(_:)``).
            queue = try PrivateDatabase.open(
                path: path, label: "voxgate.ledger", busyMode: .immediateError, migrator: Self.migrator,
                upTo: Self.keylessSchema, what: "the ledger", newerCode: .ledgerUnusable
            ) { path, configuration in try DatabaseQueue(path: path, configuration: configuration) }
            if try queue.read({ db in try Self.holdsNoSpeaker(db) }) {
                try Self.migrator(speakerIDs: nil).migrate(queue)
            }
            _ = try queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM run") }
        } catch let error as RunError {
            throw error
        } catch {
            throw RunError(
                .ledgerUnusable,
                "the ledger '\(path)' cannot be read (\(Self.reason(error))); restore it from a backup, or move it "
                    + "aside and rerun with --force to rebuild the release from the uploads (shard names and "
                    + "placements then start again)", path: path)
        }
    }

    /// Opens the ledger of a folder voxgate only reads (a partition folder given to `merge`, a release given to
    /// `voxgate verify`). The input rule (README, "Operating"): parse strictly, cap every size and count read
    /// from a file before allocating by it, verify content against the hashes recorded for it, and never
    /// open an input for writing. So: SQLite read-only (no journal, no WAL, no chmod, no migration), and a
    /// missing, empty or older ledger is refused rather than created or upgraded.
    /// - Throws: `code` naming the folder when the ledger is missing, empty, unreadable or of another schema.
    public init(readingInput folder: String, code: RunError.Code = .inputUnusable) throws(RunError) {
        path = folder + "/" + Self.relativePath
        guard let size = Self.fileSize(path) else {
            throw RunError(
                code,
                "'\(folder)' has no ledger (\(Self.relativePath)): it is not a complete voxgate output folder; "
                    + "rerun the run that made it", path: path)
        }
        guard size > 0 else {
            throw RunError(
                code,
                "the ledger '\(path)' is empty (0 bytes): it was damaged; restore the folder from a copy or rerun "
                    + "the run that made it", path: path)
        }
        var configuration = Configuration()
        configuration.label = "voxgate.ledger.input"
        configuration.readonly = true
        configuration.busyMode = .immediateError
        // Read once, in order: a small page cache, so a merge of many partitions holds little per partition.
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA cache_size = -512") }
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
            let complete = try queue.read { db in try Self.migrator.hasCompletedMigrations(db) }
            let superseded = try queue.read { db in try Self.migrator.hasBeenSuperseded(db) }
            guard !superseded else {
                throw RunError(
                    code,
                    "the ledger '\(path)' was written by a newer voxgate (schema differs); read it with the "
                        + "voxgate that made it", path: path)
            }
            guard complete else {
                throw RunError(
                    code,
                    "the ledger '\(path)' was written by an older voxgate (its schema lacks what this one "
                        + "records); run that run again with this voxgate (the same command upgrades its ledger and "
                        + "keeps its release), then retry", path: path)
            }
        } catch let error as RunError {
            throw error
        } catch {
            throw RunError(
                code,
                "the ledger '\(path)' cannot be read (\(Self.reason(error))); restore the folder from a copy or "
                    + "rerun the run that made it", path: path)
        }
    }

    public static func fileSize(_ path: String) -> Int? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return Int(st.st_size)
    }

    static func reason(_ error: any Error) -> String {
        if let e = error as? DatabaseError { return "SQLite: \(e.message ?? e.resultCode.description)" }
        return "\(error)"
    }

    /// The schema. Migrations are only ever appended; a ledger that has one this list lacks is refused.
    static var migrator: DatabaseMigrator { migrator(speakerIDs: nil) }

    /// The schema, whose pseudonym step (v3) rewrites stored client_ids with `speakerIDs` (nil: only a ledger
    /// holding no contributor yet can take that step).
    static func migrator(speakerIDs: SpeakerIDs?) -> DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.create(table: "run") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("started", .text).notNull()
                t.column("ended", .text).notNull()
                t.column("version", .text).notNull()
                t.column("config_hash", .text).notNull()
                t.column("inputs_hash", .text).notNull()
                t.column("published", .boolean).notNull().defaults(to: false)
                t.column("root", .text).notNull()
                for c in [
                    "clips", "decoded", "reused", "accepted", "rejected", "new_shards", "rewritten_shards",
                    "withdrawn_clips",
                ] {
                    t.column(c, .integer).notNull()
                }
            }
            try db.create(table: "shard") { t in
                t.primaryKey("path", .text)
                t.column("language", .text).notNull()
                t.column("license", .text).notNull()
                t.column("terms", .text).notNull()
                t.column("samples", .integer).notNull()
                t.column("bytes", .integer).notNull()
                t.column("sha256", .text).notNull()
                t.column("created_run", .integer).notNull().references("run")
                t.column("updated_run", .integer).notNull().references("run")
            }
            try db.create(table: "clip") { t in
                t.primaryKey("path", .text)
                t.column("language", .text).notNull()
                t.column("size", .integer).notNull()
                t.column("mtime_ns", .integer).notNull()
                t.column("sidecar_size", .integer)
                t.column("sidecar_mtime_ns", .integer)
                t.column("file_sha256", .text).notNull()
                t.column("analysis", .text).notNull()
                t.column("fingerprint", .blob)
                t.column("status", .text).notNull()
                t.column("reasons", .text).notNull()
                t.column("detail", .text)
                t.column("duplicate_of", .text)
                t.column("duration_s", .double)
                t.column("shard", .text).indexed().references("shard", onDelete: .restrict)
                t.column("member", .text)
                t.column("split", .text)
                t.column("withdrawn", .boolean).notNull()
                t.column("first_run", .integer).notNull().references("run")
                t.column("analysed_run", .integer).notNull().references("run")
            }
            try db.create(table: "withdrawal") { t in
                t.primaryKey("speaker_hash", .text)
                t.column("run", .integer).notNull().references("run")
                t.column("at", .text).notNull()
                t.column("clips", .integer).notNull()
                t.column("shards", .text).notNull()
            }
            try db.create(table: "pending_file") { t in
                t.primaryKey("path", .text)
                t.column("op", .text).notNull()
            }
        }
        m.registerMigration("v2") { db in
            // The released audio member's SHA-256 (checked by merge, shard rewrites and `voxgate verify`), and
            // facts about the folder itself (the speaker key's id).
            try db.alter(table: "clip") { t in t.add(column: "audio_sha256", .text) }
            try db.create(table: "folder_fact") { t in
                t.primaryKey("name", .text)
                t.column("value", .text).notNull()
            }
        }
        registerPseudonyms(&m, speakerIDs: speakerIDs)
        m.registerMigration("v4-kept") { db in
            // What a released clip's registration needs (ClipRecord.kept), and what each run's decisions rest on
            // (RunRecord.basisHash): a run whose basis is the last run's reads no analysis of a released clip
            // for its registration. Existing rows are filled as runs rewrite them.
            try db.alter(table: "clip") { t in t.add(column: "kept", .text) }
            try db.alter(table: "run") { t in t.add(column: "basis_hash", .text) }
        }
        return m
    }

    // MARK: - Reading

    /// A fact recorded about the folder (e.g. `speaker_key_id`), or nil.
    public func fact(_ name: String) throws(RunError) -> String? {
        try read { db in try String.fetchOne(db, sql: "SELECT value FROM folder_fact WHERE name = ?", arguments: [name])
        }
    }

    /// Records a fact about the folder (outside any run: it holds from now on).
    public func setFact(_ name: String, _ value: String) throws(RunError) {
        try write { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO folder_fact (name, value) VALUES (?, ?)", arguments: [name, value])
        }
    }

    /// Every clip the folder has seen, by path.
    /// - Parameter light: leave out the analyses and fingerprints (`analysis` is empty, `fingerprint` nil):
    ///   enough to tell whether anything changed.
    public func clips(light: Bool = false) throws(RunError) -> [String: ClipRecord] {
        try read { db in
            var all: [String: ClipRecord] = [:]
            let columns =
                "path, language, size, mtime_ns, sidecar_size, sidecar_mtime_ns, file_sha256, status, reasons, detail, "
                + "duplicate_of, duration_s, shard, member, audio_sha256, split, withdrawn, first_run, analysed_run"
                + (light ? "" : ", analysis, fingerprint")
            let cursor = try ClipRecord.fetchCursor(db, sql: "SELECT \(columns) FROM clip")
            while let record = try cursor.next() { all[record.path] = record }
            return all
        }
    }

    /// Every released shard, by path order.
    public func shards() throws(RunError) -> [ShardRecord] {
        try read { db in try ShardRecord.order(Column("path")).fetchAll(db) }
    }

    /// The keyed hashes of every contributor who ever withdrew: of their pseudonym, or (`.clientID`: recorded
    /// before the ledger kept pseudonyms) of their raw id.
    public func withdrawnSpeakers(hashed: WithdrawalRecord.Hashed = .pseudonym) throws(RunError) -> Set<String> {
        try read { db in
            Set(
                try String.fetchAll(
                    db, sql: "SELECT speaker_hash FROM withdrawal WHERE hashed = ?", arguments: [hashed.rawValue]))
        }
    }

    public func withdrawals() throws(RunError) -> [WithdrawalRecord] {
        try read { db in try WithdrawalRecord.order(Column("run"), Column("speaker_hash")).fetchAll(db) }
    }

    public func runs() throws(RunError) -> [RunRecord] {
        try read { db in try RunRecord.order(Column("id")).fetchAll(db) }
    }

    public func pendingFiles() throws(RunError) -> [PendingFile] {
        try read { db in try PendingFile.order(Column("path")).fetchAll(db) }
    }

    // MARK: - Writing

    /// Records one run: every change in one transaction. Records whose run fields are 0 get this run's id.
    /// - Returns: the run's id.
    @discardableResult
    public func commit(_ change: LedgerChange) throws(RunError) -> Int64 {
        try write { db in
            var run = change.run
            try run.insert(db)
            let id = run.id!
            try Self.record(change, run: id, in: db)
            return id
        }
    }

    /// Writes everything of `change` but its run's row (the run `id`).
    static func record(_ change: LedgerChange, run id: Int64, in db: Database) throws {
        for path in change.removedShards {
            try db.execute(sql: "UPDATE clip SET shard = NULL, member = NULL WHERE shard = ?", arguments: [path])
        }
        for var shard in change.shards {
            if shard.createdRun == 0 { shard.createdRun = id }
            shard.updatedRun = id
            try shard.save(db)
        }
        try Self.commitStage(db, run: id)  // the records the run staged (Ledger+Staging), then those it holds
        for var clip in change.clips {
            if clip.firstRun == 0 { clip.firstRun = id }
            if clip.analysedRun == 0 { clip.analysedRun = id }
            try clip.save(db)
        }
        for path in change.deletedClips { _ = try ClipRecord.deleteOne(db, key: path) }
        // A removed shard keeps its row until its file is deleted (``clearPending()``): the ledger lists
        // every shard file a reader can see.
        for var w in change.withdrawals {
            w.run = id
            try w.insert(db, onConflict: .ignore)
        }
        for p in change.pending { try p.save(db) }
    }

    /// Marks a run's release files (decisions, totals, …) as written: until then the next run regenerates them
    /// even if nothing else changed.
    public func markPublished(run: Int64) throws(RunError) {
        try write { db in try db.execute(sql: "UPDATE run SET published = 1 WHERE id = ?", arguments: [run]) }
    }

    /// Marks the owed file operations done.
    /// Shards whose deletion was owed are gone from the ledger too.
    public func clearPending() throws(RunError) {
        try write { db in
            try db.execute(sql: "DELETE FROM shard WHERE path IN (SELECT path FROM pending_file WHERE op = 'delete')")
            _ = try PendingFile.deleteAll(db)
        }
    }

    func read<T>(_ body: (Database) throws -> T) throws(RunError) -> T {
        do { return try queue.read(body) } catch { throw failure(error) }
    }

    func write<T>(_ body: (Database) throws -> T) throws(RunError) -> T {
        do { return try queue.write(body) } catch { throw failure(error) }
    }

    func failure(_ error: any Error) -> RunError {
        if let e = error as? RunError { return e }
        if let e = error as? DatabaseError, e.resultCode == .SQLITE_FULL || e.resultCode == .SQLITE_IOERR {
            return RunError(
                .outputUnusable,
                "cannot write the ledger '\(path)' (\(Self.reason(error))); free space in the output folder and rerun: "
                    + "nothing of this run was recorded", path: path)
        }
        return RunError(
            .ledgerUnusable,
            "the ledger '\(path)' failed (\(Self.reason(error))); restore it from a backup, or move it aside and "
                + "rerun with --force to rebuild the release", path: path)
    }
}

/// Everything one run changes in the ledger.
public struct LedgerChange: Sendable {
    public var run: RunRecord
    /// Clips to insert or replace.
    public var clips: [ClipRecord] = []
    /// Shards to insert or replace (new and rewritten).
    public var shards: [ShardRecord] = []
    /// Shards to delete (every clip in them was removed): their rows go when their files do.
    public var removedShards: [String] = []
    public var withdrawals: [WithdrawalRecord] = []
    public var pending: [PendingFile] = []
    /// Clips to forget (they moved to another partition).
    public var deletedClips: [String] = []

    public init(run: RunRecord) { self.run = run }
}
