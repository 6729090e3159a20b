import Foundation
import VoxgatePipeline

/// The per-stage budget of a pipeline run (VOXGATE_STAGE_CLOCK=1): the CPU time in each stage of ``StageClock``
/// (the workers' stages, then the consumer's: duplicates, shard writing, ledger, release files), and the
/// process's CPU time outside them (listing, plan, the consumer's bookkeeping, the runtime), as one JSON line:
/// nanoseconds per decoded sample and share of the process's CPU time for each.
func stageBudget(audioSeconds: Double) -> String {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    let cpuNS =
        Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e9
        + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e3
    let times = StageClock.snapshot()
    let samples = Double(max(times.samples, 1))
    var fields: [String] = []
    var inStages = 0.0
    for stage in StageClock.Stage.allCases {
        let ns = Double(times[stage])
        inStages += ns
        fields.append(
            #""\#(stage.name)":{"cpu_s":\#(String(format: "%.3f", ns / 1e9)),"ns_per_sample":\#(String(format: "%.2f", ns / samples)),"share":\#(String(format: "%.4f", ns / cpuNS))}"#
        )
    }
    let rest = max(cpuNS - inStages, 0)
    fields.append(
        #""outside_stages":{"cpu_s":\#(String(format: "%.3f", rest / 1e9)),"ns_per_sample":\#(String(format: "%.2f", rest / samples)),"share":\#(String(format: "%.4f", rest / cpuNS))}"#
    )
    return
        #"{"stages":{"clips":\#(times.clips),"samples":\#(times.samples),"audio_s":\#(String(format: "%.1f", audioSeconds)),"cpu_s":\#(String(format: "%.3f", cpuNS / 1e9)),"#
        + fields.joined(separator: ",") + "}}"
}
