import Foundation

/// The Common Voice release layout: a locale folder (`clips/` plus `validated.tsv`, `other.tsv`,
/// `invalidated.tsv`, `clip_durations.tsv`, …) or a release root holding one such folder per locale.
///
/// Metadata comes from the TSVs, matched by header name, never by position (`client_id path sentence_id
/// sentence sentence_domain up_votes down_votes age gender accents variant locale segment`). Consent is
/// implied by the release and the licence is CC0-1.0. A row with the wrong number of fields or an
/// empty sentence gets `invalid_metadata`; a row whose audio file is missing is reported in the audit.
public enum CommonVoiceRelease: InputLayout {
    public static let name = "common-voice"
    /// The clip TSVs, in the order a clip listed twice is taken from.
    public static let buckets = ["validated", "other", "invalidated"]
    static let license = "CC0-1.0"

    public static func recognises(root: String) -> Bool {
        isLocaleFolder(root) || !localeFolders(in: root).isEmpty
    }

    static func isLocaleFolder(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        let fm = FileManager.default
        return fm.fileExists(atPath: path + "/clips", isDirectory: &isDir) && isDir.boolValue
            && buckets.contains { fm.fileExists(atPath: path + "/\($0).tsv") }
    }

    static func localeFolders(in root: String) -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return entries.filter { !$0.hasPrefix(".") && isLocaleFolder(root + "/" + $0) }
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    public static func scan(root: String, options: InputOptions) throws(RunError) -> CorpusInput {
        let unknown = options.commonVoiceBuckets.filter { !buckets.contains($0) }
        guard unknown.isEmpty else {
            throw RunError(
                .inputUnusable,
                "unknown Common Voice bucket(s) \(unknown.joined(separator: ", ")); choose from "
                    + buckets.joined(separator: ", "), path: root)
        }
        var input = CorpusInput(root: root, layout: name, clips: [])
        if isLocaleFolder(root) {
            let folder = (root as NSString).lastPathComponent
            try scanLocale(root: root, prefix: "", folderLocale: folder, options: options, into: &input)
        } else {
            for locale in localeFolders(in: root) {
                try scanLocale(
                    root: root + "/" + locale, prefix: locale + "/", folderLocale: locale, options: options,
                    into: &input)
            }
        }
        input.clips.sortByPath()
        return input
    }

    private static func scanLocale(
        root: String, prefix: String, folderLocale: String, options: InputOptions, into input: inout CorpusInput
    ) throws(RunError) {
        let fm = FileManager.default
        let onDisk = Set(((try? fm.contentsOfDirectory(atPath: root + "/clips")) ?? []).filter { !$0.hasPrefix(".") })
        var listed: Set<String> = []
        for bucket in options.commonVoiceBuckets {
            let path = root + "/\(bucket).tsv"
            guard fm.fileExists(atPath: path) else { continue }
            let table = try TSV.read(path)
            guard let pathColumn = table.column("path") else {
                throw RunError(
                    .inputUnusable, "'\(path)' has no 'path' column; is it a Common Voice clip TSV?", path: path)
            }
            if table.isDuplicated("path") {
                throw RunError(
                    .inputUnusable, "'\(path)' is refused: \(table.duplicatedColumn!); fix the file's header",
                    path: path)
            }
            if let duplicate = table.duplicatedColumn {
                input.warnings.append("\(prefix)\(bucket).tsv is refused: \(duplicate); none of its clips is released")
            }
            for (number, row) in table.rows.enumerated() {
                guard pathColumn < row.count, !row[pathColumn].isEmpty else {
                    input.warnings.append("\(prefix)\(bucket).tsv row \(number + 2): no clip path; row ignored")
                    continue
                }
                let file = row[pathColumn]
                guard !listed.contains(file) else {
                    input.warnings.append(
                        "\(prefix)\(bucket).tsv row \(number + 2): \(file) is listed twice; first kept")
                    continue
                }
                listed.insert(file)
                let clip = prefix + "clips/" + file
                guard onDisk.contains(file) else {
                    input.missingFiles.append(clip)
                    continue
                }
                let reading = metadata(
                    row, table: table, bucket: bucket, rowNumber: number + 2, problem: table.problems[number])
                let given = table.value("locale", in: row).flatMap { $0.isEmpty ? nil : $0 } ?? folderLocale
                let locale = LanguageCatalog.shared.entry(for: given)?.tag ?? given
                let entry = ListedEntry(path: root + "/clips/" + file)
                var source = ClipSource(
                    clip: clip.precomposedStringWithCanonicalMapping, path: root + "/clips/" + file,
                    languageTag: locale, clipID: (file as NSString).deletingPathExtension,
                    metadata: .parsed(reading), byteSize: entry?.stamp.size ?? 0)
                source.listed = entry.map { ListedStamps(file: $0.stamp, sidecar: nil, plain: $0.isPlainFile) }
                input.clips.append(source)
            }
        }
        let unlisted = onDisk.subtracting(listed).count
        if unlisted > 0 {
            input.warnings.append(
                "\(prefix)clips/: \(unlisted) clip(s) are in none of the selected TSVs "
                    + "(\(options.commonVoiceBuckets.joined(separator: ", "))); not ingested")
        }
        let durations = root + "/clip_durations.tsv"
        if fm.fileExists(atPath: durations) {
            let table = try TSV.read(durations)
            if let c = table.column("clip"), let d = table.column("duration[ms]") {
                for (number, row) in table.rows.enumerated() {
                    let name = row.count > c ? row[c] : ""
                    let problem: String? =
                        if let p = table.problems[number] { p } else if row.count <= max(c, d) {
                            "too few fields"
                        } else if Int(row[d]).map({ $0 < 0 || $0 > 86_400_000 }) ?? true {
                            "duration '\(row[d].prefix(40))' is not a whole number of ms in 0...86400000"
                        } else if !onDisk.contains(name) { "'\(name.prefix(200))' is not in clips/" } else { nil }
                    if let problem {
                        input.unparsableDurations.append("\(prefix)clip_durations.tsv row \(number + 2): \(problem)")
                        continue
                    }
                    input.declaredDurationsMs[prefix + "clips/" + name] = Int(row[d])!
                }
            }
            let bad = input.unparsableDurations.filter { $0.hasPrefix(prefix + "clip_durations.tsv") }
            if !bad.isEmpty {
                input.warnings.append(
                    "\(prefix)clip_durations.tsv: \(bad.count) row(s) unusable, not audited (first: "
                        + bad.prefix(3).joined(separator: "; ") + "); see audit.json")
            }
        }
    }

    /// A TSV row as metadata: consent implied by the release, licence CC0-1.0, votes kept.
    static func metadata(_ row: [String], table: TSV, bucket: String, rowNumber: Int, problem: String? = nil)
        -> SidecarReading
    {
        if let duplicate = table.duplicatedColumn {
            return .invalid("\(bucket).tsv is refused: \(duplicate); fix the file's header, then rerun")
        }
        if let problem { return .invalid("\(bucket).tsv row \(rowNumber): \(problem); fix the row, then rerun") }
        guard row.count == table.header.count else {
            return .invalid(
                "\(bucket).tsv row \(rowNumber) has \(row.count) fields where the header has \(table.header.count) "
                    + "(a stray tab?); its metadata cannot be trusted")
        }
        let sentence = table.value("sentence", in: row) ?? ""
        let client = table.value("client_id", in: row) ?? ""
        guard !sentence.trimmingCharacters(in: .whitespaces).isEmpty else {
            return .invalid("\(bucket).tsv row \(rowNumber) has an empty sentence")
        }
        guard !client.isEmpty else { return .invalid("\(bucket).tsv row \(rowNumber) has no client_id") }
        var release = ["bucket": bucket]
        for key in ["sentence_id", "sentence_domain", "up_votes", "down_votes", "variant", "segment"] {
            if let v = table.value(key, in: row), !v.isEmpty { release[key] = v }
        }
        func optional(_ key: String) -> String? { table.value(key, in: row).flatMap { $0.isEmpty ? nil : $0 } }
        return .valid(
            ClipMetadata(
                sentence: sentence, clientID: client, consent: true, terms: Terms(license: license),
                locale: optional("locale"),
                gender: optional("gender"), age: optional("age"), accent: optional("accents"), release: release))
    }
}
