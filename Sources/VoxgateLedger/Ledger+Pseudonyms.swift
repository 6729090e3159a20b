import Foundation
import GRDB
public import VoxgateCorpus
import VoxgatePipeline

/// Schema v3: the ledger keeps a contributor's client_id only as the corpus's pseudonym.
///
/// Ledgers made before it hold the raw id in every analysis (the sidecar's `clientID`). The step needs the
/// corpus's speaker key, so it runs when a run has loaded and checked the key (``keepPseudonyms(_:)``), in
/// one transaction (a kill leaves the ledger as it was): every stored analysis gets the pseudonym and the
/// split point in place of the raw id (nothing is decoded again; decisions do not change), and the
/// withdrawal records made before are marked as hashes of raw ids (``WithdrawalRecord/Hashed/clientID``),
/// which only an id as read from a sidecar can match. With `secure_delete` on, no replaced byte stays in a
/// free page.
extension Ledger {
    /// The last schema step that needs no key.
    static let keylessSchema = "v2"
    static let pseudonymStep = "v3-pseudonyms"

    static func registerPseudonyms(_ m: inout DatabaseMigrator, speakerIDs: SpeakerIDs?) {
        m.registerMigration(pseudonymStep) { db in
            if speakerIDs == nil, try !holdsNoSpeaker(db) {
                throw RunError(
                    .ledgerUnusable,
                    "the ledger holds client_ids to replace by pseudonyms, and no speaker key was given",
                    path: relativePath)
            }
            try db.alter(table: "withdrawal") { t in
                t.add(column: "hashed", .text).notNull().defaults(to: WithdrawalRecord.Hashed.pseudonym.rawValue)
            }
            try db.execute(
                sql: "UPDATE withdrawal SET hashed = ?", arguments: [WithdrawalRecord.Hashed.clientID.rawValue])
            if let speakerIDs { try pseudonymise(db, speakerIDs) }
        }
    }

    /// Whether the ledger holds no contributor at all (a new one): the pseudonym step then has nothing to do.
    static func holdsNoSpeaker(_ db: Database) throws -> Bool {
        try Int.fetchOne(db, sql: "SELECT (SELECT count(*) FROM clip) + (SELECT count(*) FROM withdrawal)") == 0
    }

    /// Replaces every stored raw client_id by its pseudonym, a few hundred rows at a time (memory does not grow
    /// with the ledger).
    private static func pseudonymise(_ db: Database, _ ids: SpeakerIDs) throws {
        var after: Int64 = 0
        while true {
            let rows = try Row.fetchAll(
                db, sql: "SELECT rowid, path, analysis FROM clip WHERE rowid > ? ORDER BY rowid LIMIT 512",
                arguments: [after])
            guard let last = rows.last else { return }
            after = last[0]
            for row in rows {
                let path: String = row[1]
                guard var analysis = try? ClipAnalysis(ledgerJSON: row[2]) else {
                    throw RunError(
                        .ledgerUnusable,
                        "the ledger's record of '\(path)' cannot be read, so its client_id cannot be replaced by the "
                            + "pseudonym; restore the ledger from a backup, or rerun with --force", path: path)
                }
                let (kept, _) = ids.keep(analysis.sidecar)
                guard kept != analysis.sidecar else { continue }
                analysis.sidecar = kept
                try db.execute(
                    sql: "UPDATE clip SET analysis = ? WHERE rowid = ?", arguments: [analysis.ledgerJSON(), row[0]])
            }
        }
    }

    /// Takes the pseudonym step on a ledger made before it (nothing when it was taken): call it once the run
    /// has checked that `speakerIDs` come from the key the release was made with.
    public func keepPseudonyms(_ speakerIDs: SpeakerIDs) throws(RunError) {
        do { try Self.migrator(speakerIDs: speakerIDs).migrate(queue) } catch let error as RunError {
            throw error
        } catch {
            throw RunError(
                .ledgerUnusable,
                "the ledger '\(path)' could not replace its client_ids by pseudonyms (\(Self.reason(error))); nothing "
                    + "was changed; free space in the output folder and rerun, or restore the ledger from a backup",
                path: path)
        }
    }
}
