import Foundation
import VoxgateOutputs

/// A histogram drawn as inline SVG, with threshold lines and a text alternative.
struct Histogram {
    var title: String
    var unit: String
    var lower: Double
    var upper: Double
    var bins: Int
    var counts: [Int]
    var thresholds: [(Double, String)]
    var measured: Int

    init(
        title: String, unit: String, values: [Double], lower: Double, upper: Double, bins: Int = 24,
        thresholds: [(Double, String)] = []
    ) {
        self.title = title
        self.unit = unit
        self.lower = lower
        self.upper = upper
        self.bins = bins
        self.thresholds = thresholds
        var counts = [Int](repeating: 0, count: bins)
        for v in values where v.isFinite {
            let i = Int(((v - lower) / (upper - lower) * Double(bins)).rounded(.down))
            counts[Swift.min(Swift.max(i, 0), bins - 1)] += 1
        }
        self.counts = counts
        measured = values.filter(\.isFinite).count
    }

    /// A sentence describing the distribution, for screen readers and the figure caption.
    var description: String {
        guard measured > 0 else { return "\(title): not measured for any clip." }
        let peak = counts.indices.max { counts[$0] < counts[$1] }!
        let width = (upper - lower) / Double(bins)
        let from = lower + Double(peak) * width
        let lines = thresholds.map { "\($0.1) at \(fmt($0.0)) \(unit)" }.joined(separator: ", ")
        return
            "\(title) of \(measured) clips, \(fmt(lower))–\(fmt(upper)) \(unit); most clips between \(fmt(from)) and "
            + "\(fmt(from + width)) \(unit)" + (lines.isEmpty ? "." : "; thresholds: \(lines).")
    }

    var svg: String {
        let (w, h, pad) = (320.0, 140.0, 20.0)
        let top = Double(counts.max() ?? 0)
        let barWidth = (w - 2 * pad) / Double(bins)
        var s =
            #"<svg xmlns="http://www.w3.org/2000/svg" width="320" height="160" viewBox="0 0 320 160" role="img" aria-label="\#(HTML.escape(description))">"#
        for (i, c) in counts.enumerated() where c > 0 {
            let bh = top > 0 ? (h - pad) * Double(c) / top : 0
            s +=
                ##"<rect x="\##(fmt(pad + Double(i) * barWidth))" y="\##(fmt(h - bh))" width="\##(fmt(barWidth - 1))" height="\##(fmt(bh))" fill="#4a78b5"/>"##
        }
        for (value, label) in thresholds where value >= lower && value <= upper {
            let x = pad + (value - lower) / (upper - lower) * (w - 2 * pad)
            s +=
                ##"<line x1="\##(fmt(x))" y1="10" x2="\##(fmt(x))" y2="\##(fmt(h))" stroke="#c0392b" stroke-dasharray="4 3"/>"##
            s += ##"<text x="\##(fmt(x + 3))" y="18" font-size="10" fill="#c0392b">\##(HTML.escape(label))</text>"##
        }
        s += ##"<line x1="\##(fmt(pad))" y1="\##(fmt(h))" x2="\##(fmt(w - pad))" y2="\##(fmt(h))" stroke="#333"/>"##
        s += #"<text x="\#(fmt(pad))" y="155" font-size="10">\#(fmt(lower))</text>"#
        s +=
            #"<text x="\#(fmt(w - pad))" y="155" font-size="10" text-anchor="end">\#(fmt(upper)) \#(HTML.escape(unit))</text>"#
        return s + "</svg>"
    }

    var json: JSONText {
        .object([
            ("title", .string(title)), ("unit", .string(unit)), ("lower", .double(lower)), ("upper", .double(upper)),
            ("measured", .int(measured)), ("counts", .array(counts.map { .int($0) })),
            ("thresholds", .array(thresholds.map { .object([("value", .double($0.0)), ("label", .string($0.1))]) })),
        ])
    }
}

func fmt(_ x: Double) -> String {
    let r = (x * 10).rounded() / 10
    return r == r.rounded() ? String(Int(r)) : String(format: "%.1f", r)
}
