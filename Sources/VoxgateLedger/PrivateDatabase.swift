import Foundation
import GRDB
import VoxgateCorpus

/// The one way voxgate opens a database of its own under `<out>/.voxgate/` (the ledger, the review votes):
/// the folder made private (0700), deleted content overwritten (`secure_delete`, so what a withdrawal or a
/// pseudonym migration replaces does not linger in free pages), a file written by a newer voxgate refused,
/// the schema migrated by its ``DatabaseMigrator``, and the file made private (0600).
enum PrivateDatabase {
    /// Opens (creating when missing) the database at `path`.
    /// - Parameters:
    ///   - label: names the connection in GRDB's diagnostics.
    ///   - busyMode: what a write does while another connection writes.
    ///   - migrator: the schema; applied up to `upTo` (nil: every migration).
    ///   - what: how messages name the file ("the ledger", "the review votes").
    ///   - open: makes the connection (a `DatabaseQueue` or a `DatabasePool`).
    /// - Throws: `RunError` `.outputUnusable` when the folder cannot be made, `newerCode` when the file holds a
    ///   migration `migrator` lacks; any other error as SQLite raised it (the caller names the file).
    static func open<Writer: DatabaseWriter>(
        path: String, label: String, busyMode: Database.BusyMode, migrator: DatabaseMigrator, upTo: String? = nil,
        what: String, newerCode: RunError.Code, open: (String, Configuration) throws -> Writer
    ) throws -> Writer {
        let folder = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(
                atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw RunError(
                .outputUnusable, "cannot create '\(folder)' (\(error.localizedDescription)); check permissions",
                path: folder)
        }
        var configuration = Configuration()
        configuration.label = label
        configuration.busyMode = busyMode
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA secure_delete = ON")
            // Temporary tables (a run's staged records, Ledger+Staging) stay on disk, not in memory.
            try db.execute(sql: "PRAGMA temp_store = FILE")
        }
        let writer = try open(path, configuration)
        try refuseNewer(writer, migrator: migrator, path: path, what: what, code: newerCode)
        if let upTo {
            // Only forward: a file already migrated past `upTo` is left as it is (GRDB stops the process otherwise).
            let order = migrator.migrations
            let applied = try writer.read { db in try migrator.appliedMigrations(db) }
            let last = applied.last.flatMap(order.firstIndex(of:)) ?? -1
            if last <= order.firstIndex(of: upTo) ?? -1 { try migrator.migrate(writer, upTo: upTo) }
        } else {
            try migrator.migrate(writer)
        }
        chmod(path, 0o600)
        return writer
    }

    /// Refuses a database that holds a migration `migrator` does not know (written by a newer voxgate).
    static func refuseNewer(
        _ reader: some DatabaseReader, migrator: DatabaseMigrator, path: String, what: String, code: RunError.Code
    ) throws {
        try reader.read { db in
            guard try migrator.hasBeenSuperseded(db) else { return }
            let unknown = try migrator.appliedIdentifiers(db).subtracting(migrator.migrations)
            throw RunError(
                code,
                "\(what) '\(path)' was written by a newer voxgate (schema \(unknown.sorted().joined(separator: ", ")) "
                    + "is unknown to this version); run the newer voxgate on this folder", path: path)
        }
    }
}
