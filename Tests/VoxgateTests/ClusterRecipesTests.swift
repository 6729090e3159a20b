import Foundation
import Testing
import Yams

/// The cluster recipes in `pipelines/`: the Kubernetes manifests agree with each other and with the
/// partition count they pass to voxgate, and the Slurm scripts split, offset and merge partitions
/// correctly. `scripts/slurm-live` runs the Slurm recipes on a real Slurm; these tests need none.
@Suite("cluster recipes")
struct ClusterRecipesTests {
    static let k8s = TestSupport.packageRoot + "/pipelines/k8s"
    static let slurm = TestSupport.packageRoot + "/pipelines/slurm"

    // MARK: - Kubernetes

    @Test func indexedJobRunsOnePartitionPerIndex() throws {
        let job = try Manifest(Self.k8s + "/ingest-job.yaml")
        #expect(job.string("apiVersion") == "batch/v1")
        #expect(job.string("kind") == "Job")
        #expect(job.string("spec", "completionMode") == "Indexed")
        let completions = try #require(job.int("spec", "completions"))
        let parallelism = try #require(job.int("spec", "parallelism"))
        #expect((1...completions).contains(parallelism))
        #expect((job.int("spec", "backoffLimitPerIndex") ?? 0) >= 1, "a failed index is retried on its own")
        #expect(job.string("spec", "template", "spec", "restartPolicy") == "Never")

        let container = try job.onlyContainer()
        let command = try #require(container["command"] as? [String])
        #expect(Array(command.prefix(2)) == ["voxgate", "ingest"])
        #expect(Self.value(after: "--partitions", in: command) == String(completions))
        #expect(!command.contains("--partition"), "the index comes from JOB_COMPLETION_INDEX, not a fixed I/N")
        // Every index writes its own folder, named by the completion index.
        let out = try #require(Self.value(after: "--out", in: command))
        let variable = try #require(Self.indexVariable(in: container))
        #expect(out.hasSuffix("$(\(variable))"), "--out \(out) must end with the index, $(\(variable))")
        // --jobs matches the CPUs requested.
        let cpu = (container["resources"] as? [String: Any]).flatMap { ($0["requests"] as? [String: Any])?["cpu"] }
        #expect(Self.value(after: "--jobs", in: command) == cpu.map { "\($0)" })
    }

    @Test func mergeJobReadsEveryPartitionInOrder() throws {
        let ingest = try Manifest(Self.k8s + "/ingest-job.yaml")
        let merge = try Manifest(Self.k8s + "/merge-job.yaml")
        #expect(merge.string("apiVersion") == "batch/v1")
        #expect(merge.string("kind") == "Job")
        #expect(merge.string("spec", "completionMode") != "Indexed")
        #expect(merge.int("spec", "completions") == 1)
        #expect(merge.string("spec", "template", "spec", "restartPolicy") == "Never")

        let ingestContainer = try ingest.onlyContainer()
        let ingestCommand = try #require(ingestContainer["command"] as? [String])
        let n = try #require(ingest.int("spec", "completions"))
        let variable = try #require(Self.indexVariable(in: ingestContainer))
        let pattern = try #require(Self.value(after: "--out", in: ingestCommand))
        let partitions = (0..<n).map { pattern.replacingOccurrences(of: "$(\(variable))", with: String($0)) }

        let mergeContainer = try merge.onlyContainer()
        let command = try #require(mergeContainer["command"] as? [String])
        #expect(Array(command.prefix(2)) == ["voxgate", "merge"])
        let outIndex = try #require(command.firstIndex(of: "--out"))
        #expect(Array(command[2..<outIndex]) == partitions, "the merge must list part-0 … part-\(n - 1), in order")
        let out = try #require(Self.value(after: "--out", in: command))
        #expect(!partitions.contains { out == $0 || out.hasPrefix($0 + "/") })
        #expect(mergeContainer["image"] as? String == ingestContainer["image"] as? String)
    }

    @Test func bothJobsMountTheSameClaimWhereTheyReadAndWrite() throws {
        let ingest = try Manifest(Self.k8s + "/ingest-job.yaml")
        let merge = try Manifest(Self.k8s + "/merge-job.yaml")
        let pvc = try Manifest(Self.k8s + "/pvc.yaml")
        #expect(pvc.string("kind") == "PersistentVolumeClaim")
        #expect((pvc.value("spec", "accessModes") as? [String])?.contains("ReadWriteMany") == true)
        let claim = try #require(pvc.string("metadata", "name"))

        let ingestOut = try #require(
            Self.value(after: "--out", in: try ingest.onlyContainer()["command"] as? [String] ?? []))
        let ingestRoot = try #require((try ingest.onlyContainer()["command"] as? [String])?[2])
        let mergeOut = try #require(
            Self.value(after: "--out", in: try merge.onlyContainer()["command"] as? [String] ?? []))
        let ingestMount = try #require(try ingest.claimMount(of: ingestOut))
        let mergeMount = try #require(try merge.claimMount(of: mergeOut))
        #expect(ingestMount.claim == claim)
        #expect(mergeMount.claim == claim)
        #expect(ingestMount.mountPath == mergeMount.mountPath, "partition folders must be at the same path in both")
        #expect(try ingest.claimMount(of: ingestRoot)?.claim == claim, "the uploads are on the shared volume too")
    }

    // MARK: - Slurm

    static let scripts = [
        "pipelines/slurm/voxgate-array.sbatch", "pipelines/slurm/voxgate-merge.sbatch", "pipelines/slurm/submit.sh",
        "scripts/slurm-live",
    ]

    @Test(arguments: scripts) func scriptParses(_ script: String) throws {
        let r = try TestSupport.run("bash", ["-n", TestSupport.packageRoot + "/" + script])
        #expect(r.status == 0, "\(r.error)")
    }

    /// (partitions, MaxArraySize, the expected array jobs as (offset, --array spec)).
    static let splits: [(Int, Int, [(Int, String)])] = [
        (10, 4, [(0, "0-3"), (4, "0-3"), (8, "0-1")]),
        (4, 4, [(0, "0-3")]),
        (5, 4, [(0, "0-3"), (4, "0")]),
        (1, 4, [(0, "0")]),
        (3, 1, [(0, "0"), (1, "0"), (2, "0")]),
        (2500, 1001, [(0, "0-1000"), (1001, "0-1000"), (2002, "0-497")]),
        (1000, 1001, [(0, "0-999")]),
    ]

    @Test(arguments: splits.indices) func submitSplitsArraysAboveMaxArraySize(_ index: Int) throws {
        let (n, maxArray, expected) = Self.splits[index]
        let plan = try Self.dryRun(["--partitions", String(n), "--max-array-size", String(maxArray)])
        #expect(plan.arrays.map { $0.offset } == expected.map { $0.0 })
        #expect(plan.arrays.map { $0.spec } == expected.map { $0.1 })
        // Every partition exactly once, every task index below MaxArraySize, N passed to every task.
        var covered: [Int] = []
        for array in plan.arrays {
            #expect(array.n == n)
            for task in Self.indices(array.spec) {
                #expect(task < maxArray)
                covered.append(array.offset + task)
            }
        }
        #expect(covered == Array(0..<n))
        #expect(plan.merge == "afterok:" + (1...plan.arrays.count).map { "JOB\($0)" }.joined(separator: ":"))
        #expect(plan.mergeArguments == ["/w", "/o", String(n)])
    }

    @Test func rerunSubmitsOnlyThosePartitionsInTheirSlots() throws {
        let plan = try Self.dryRun(["--partitions", "10", "--max-array-size", "4", "--rerun", "9,2,5,6"])
        #expect(plan.arrays.map { $0.offset } == [0, 4, 8])
        #expect(plan.arrays.map { $0.spec } == ["2", "1,2", "1"])
        #expect(plan.merge == "afterok:JOB1:JOB2:JOB3")

        let bad = try TestSupport.run(
            Self.slurm + "/submit.sh",
            [
                "--root", "/r", "--work", "/w", "--out", "/o", "--partitions", "10", "--max-array-size", "4",
                "--rerun", "10", "--dry-run",
            ])
        #expect(bad.status == 64)
        #expect(bad.error.contains("not a partition of 0..9"))
    }

    @Test func arrayTaskRunsPartitionOffsetPlusTaskID() throws {
        let work = try TestSupport.temporaryFolder("voxgate-slurm")
        defer { TestSupport.remove(work) }
        let env = [
            "SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_JOB_ID": "7", "SLURM_CPUS_PER_TASK": "3", "VOXGATE": "echo",
        ]
        let r = try TestSupport.run(
            "bash", [Self.slurm + "/voxgate-array.sbatch", "/up", work, "10", "4"], environment: env)
        #expect(r.status == 0, "\(r.error)")
        #expect(
            r.output.contains(
                "ingest /up --out \(work)/part-6 --partition 6/10 --jobs 3 --speaker-key-file \(work)/speaker.key"))

        // The boundary of a split array: with offset 8 of 10 partitions, task 1 runs the last partition (9) and
        // task 2 would run partition 10, which does not exist.
        var last = env
        last["SLURM_ARRAY_TASK_ID"] = "1"
        let sliced = [Self.slurm + "/voxgate-array.sbatch", "/up", work, "10", "8"]
        let inside = try TestSupport.run("bash", sliced, environment: last)
        #expect(inside.status == 0, "\(inside.error)")
        #expect(inside.output.contains("ingest /up --out \(work)/part-9 --partition 9/10 "), "\(inside.output)")
        let beyond = try TestSupport.run("bash", sliced, environment: env)
        #expect(beyond.status == 64)
        #expect(beyond.error.contains("task 2 + offset 8 = partition 10 is outside 0..9"), "\(beyond.error)")
        #expect(beyond.output.isEmpty, "voxgate must not be started: \(beyond.output)")
    }

    @Test func mergeListsPartitionsInIndexOrderAndNamesMissingOnes() throws {
        let work = try TestSupport.temporaryFolder("voxgate-slurm")
        defer { TestSupport.remove(work) }
        for i in 0..<12 where i != 10 {
            try FileManager.default.createDirectory(atPath: "\(work)/part-\(i)", withIntermediateDirectories: true)
            try TestSupport.write("{}\n", to: "\(work)/part-\(i)/PARTITION_DONE")
        }
        let script = Self.slurm + "/voxgate-merge.sbatch"
        let missing = try TestSupport.run("bash", [script, work, "/o", "12"], environment: ["VOXGATE": "echo"])
        #expect(missing.status == 66)
        #expect(missing.error.contains("partitions without PARTITION_DONE: 10 (of 0..11)"), "\(missing.error)")

        try FileManager.default.createDirectory(atPath: "\(work)/part-10", withIntermediateDirectories: true)
        try TestSupport.write("{}\n", to: "\(work)/part-10/PARTITION_DONE")
        let r = try TestSupport.run("bash", [script, work, "/o", "12"], environment: ["VOXGATE": "echo"])
        #expect(r.status == 0, "\(r.error)")
        let parts = (0..<12).map { "\(work)/part-\($0)" }.joined(separator: " ")
        #expect(r.output.contains("merge \(parts) --out /o"), "\(r.output)")
    }

    // MARK: - Helpers

    /// The argument after `flag`.
    static func value(after flag: String, in command: [String]) -> String? {
        guard let i = command.firstIndex(of: flag), i + 1 < command.count else { return nil }
        return command[i + 1]
    }

    /// The container's environment variable that holds the Job completion index.
    static func indexVariable(in container: [String: Any]) -> String? {
        let env = container["env"] as? [[String: Any]] ?? []
        return env.first {
            let path = (($0["valueFrom"] as? [String: Any])?["fieldRef"] as? [String: Any])?["fieldPath"] as? String
            return path == "metadata.annotations['batch.kubernetes.io/job-completion-index']"
        }?["name"] as? String
    }

    /// `a-b`, `a`, `a,b,c` (no `%P` throttle in these tests) as indices.
    static func indices(_ spec: String) -> [Int] {
        spec.split(separator: ",").flatMap { part -> [Int] in
            let ends = part.split(separator: "-").compactMap { Int($0) }
            return ends.count == 2 ? Array(ends[0]...ends[1]) : ends
        }
    }

    struct Plan {
        var arrays: [(offset: Int, spec: String, n: Int)] = []
        var merge: String?
        var mergeArguments: [String] = []
    }

    /// What `submit.sh --dry-run` would submit (paths without spaces, so words split on spaces).
    static func dryRun(_ arguments: [String]) throws -> Plan {
        let r = try TestSupport.run(
            slurm + "/submit.sh", ["--root", "/r", "--work", "/w", "--out", "/o", "--dry-run"] + arguments)
        guard r.status == 0 else { throw TestFailure("submit.sh --dry-run failed (\(r.status)): \(r.error)") }
        var plan = Plan()
        for line in r.output.split(separator: "\n") where line.hasPrefix("sbatch ") {
            let words = line.split(separator: " ").map(String.init)
            let option = { (name: String) in
                words.first { $0.hasPrefix(name + "=") }.map { String($0.dropFirst(name.count + 1)) }
            }
            if let script = words.firstIndex(where: { $0.hasSuffix("/voxgate-array.sbatch") }) {
                let args = Array(words[(script + 1)...])
                #expect(args.count == 4 && args[0] == "/r" && args[1] == "/w")
                plan.arrays.append((Int(args[3]) ?? -1, option("--array") ?? "", Int(args[2]) ?? -1))
            } else if let script = words.firstIndex(where: { $0.hasSuffix("/voxgate-merge.sbatch") }) {
                plan.merge = option("--dependency")
                plan.mergeArguments = Array(words[(script + 1)...])
            }
        }
        return plan
    }
}

/// A Kubernetes manifest read with Yams.
struct Manifest {
    let root: [String: Any]

    init(_ path: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        guard let root = try Yams.load(yaml: text) as? [String: Any] else {
            throw TestFailure("\(path) is not a YAML mapping")
        }
        self.root = root
    }

    func value(_ keys: String...) -> Any? {
        keys.reduce(root as Any?) { ($0 as? [String: Any])?[$1] }
    }
    func string(_ keys: String...) -> String? { keys.reduce(root as Any?) { ($0 as? [String: Any])?[$1] } as? String }
    func int(_ keys: String...) -> Int? { keys.reduce(root as Any?) { ($0 as? [String: Any])?[$1] } as? Int }

    func onlyContainer() throws -> [String: Any] {
        let containers = value("spec", "template", "spec", "containers") as? [[String: Any]] ?? []
        guard containers.count == 1 else { throw TestFailure("expected one container, found \(containers.count)") }
        return containers[0]
    }

    /// The persistent volume claim and mount path under which `path` lies in the only container.
    func claimMount(of path: String) throws -> (claim: String, mountPath: String)? {
        let volumes = value("spec", "template", "spec", "volumes") as? [[String: Any]] ?? []
        let mounts = try onlyContainer()["volumeMounts"] as? [[String: Any]] ?? []
        for mount in mounts {
            guard let mountPath = mount["mountPath"] as? String, path.hasPrefix(mountPath + "/") else { continue }
            let volume = volumes.first { $0["name"] as? String == mount["name"] as? String }
            if let claim = (volume?["persistentVolumeClaim"] as? [String: Any])?["claimName"] as? String {
                return (claim, mountPath)
            }
        }
        return nil
    }
}
