import Foundation
import Lab
import ScenarioKit

/// Gate outcomes as a table, JUnit XML (one test case per gate and scenario) and Markdown.
public enum GateReport {
    /// The measured value as the gate's unit reads it: "182 s ± 35 s", "99.950%".
    public static func measured(_ o: GateOutcome) -> String {
        guard let e = o.estimate else { return "not measured (e.g. not recovered)" }
        let f = { format($0, o.gate.metric) }
        return o.values.count > 1 ? "\(f(e.mean)) ± \(f(e.halfWidth))" : f(e.mean)
    }

    /// A value of `metric` in the unit its gates read: "182 s", "2.50 min", "99.950%".
    public static func format(_ x: Double, _ metric: Gate.Metric) -> String {
        switch metric {
        case .recovery, .recoveryAfterEnd, .detect, .mitigate: return String(format: "%.0f s", x)
        case .p95: return String(format: "%.0f ms", x * 1000)
        case .sloViolation: return String(format: "%.2f min", x)
        case .availability, .accuracy, .resilience: return String(format: "%.3f%%", x * 100)
        case .cost: return String(format: "$%.2f", x)
        }
    }

    /// The gate as reports name it: a searched one says so (`slo-violation <= 3m, searched over 40 runs`).
    public static func label(_ o: GateOutcome) -> String {
        o.gate.description + (o.search.map { ", searched over \($0.runs) runs" } ?? "")
    }

    static func result(_ o: GateOutcome) -> String {
        switch o.verdict {
        case .passed: return "pass"
        case .failed: return "FAIL"
        case .notEvaluated: return "NOT EVALUATED"
        }
    }

    public static func table(_ outcomes: [GateOutcome]) -> String {
        var t = TextTable(["scenario", "gate", "measured (mean ± 95% CI)", "result"])
        for o in outcomes { t.add([o.scenario, label(o), measured(o), result(o)]) }
        return t.rendered
    }

    static func xml(_ s: String) -> String {
        // Text from a scenario is data: escape markup, drop characters XML 1.0 cannot hold.
        String(String.UnicodeScalarView(s.unicodeScalars.filter { $0 == "\t" || $0 == "\n" || $0.value >= 0x20 && $0.value != 0xFFFE && $0.value != 0xFFFF }))
            .replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// JUnit XML: a failed gate is a `<failure>`, one that could not be judged an `<error>`.
    public static func junit(_ outcomes: [GateOutcome], scenarios: [String]) -> String {
        func count(_ os: [GateOutcome], _ v: (GateVerdict) -> Bool) -> Int { os.filter { v($0.verdict) }.count }
        let isFailure = { (v: GateVerdict) in v == .failed }
        let isError = { (v: GateVerdict) in if case .notEvaluated = v { return true } else { return false } }
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<testsuites name=\"stormglass gates\" tests=\"\(outcomes.count)\" failures=\"\(count(outcomes, isFailure))\" errors=\"\(count(outcomes, isError))\">\n"
        for name in scenarios {
            let mine = outcomes.filter { $0.scenario == name }
            out += "  <testsuite name=\"\(xml(name))\" tests=\"\(mine.count)\" failures=\"\(count(mine, isFailure))\" errors=\"\(count(mine, isError))\">\n"
            for o in mine {
                out += "    <testcase classname=\"stormglass.\(xml(name))\" name=\"\(xml(label(o)))\" time=\"\(String(format: "%.3f", o.wallSeconds))\">\n"
                switch o.verdict {
                case .passed: break
                case .failed where o.search?.breaking != nil:
                    let search = o.search!
                    out += "      <failure message=\"a search of \(search.runs) runs broke it: \(xml(search.breaking!.joined(separator: " "))) measured \(xml(measured(o))), required \(xml(o.gate.text))\">"
                    out += xml("reproduce: " + (search.reproduce ?? "")) + "</failure>\n"
                case .failed:
                    out += "      <failure message=\"measured \(xml(measured(o))), required \(xml(o.gate.text))\">"
                    out += xml("per seed: " + o.values.map { $0.map { String(format: "%.6g", $0) } ?? "not measured" }.joined(separator: ", "))
                    out += "</failure>\n"
                case .notEvaluated(let why):
                    out += "      <error message=\"not evaluated: \(xml(why))\"/>\n"
                }
                out += "      <system-out>\(xml("measured " + measured(o)))</system-out>\n    </testcase>\n"
            }
            out += "  </testsuite>\n"
        }
        return out + "</testsuites>\n"
    }

    public static func markdown(_ outcomes: [GateOutcome], replications: Int) -> String {
        var md = "# Resilience gates\n\n\(replications) seed\(replications == 1 ? "" : "s") per scenario.\n\n"
        md += "| scenario | gate | measured (mean ± 95% CI) | result |\n|---|---|---|---|\n"
        func cell(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ") }
        for o in outcomes {
            let verdict: String
            switch o.verdict {
            case .passed: verdict = "✅ pass"
            case .failed: verdict = "❌ FAIL"
            case .notEvaluated(let why): verdict = "⚠️ not evaluated (\(cell(why)))"
            }
            let found = o.search?.breaking.map { " with `" + cell($0.joined(separator: " ")) + "`" } ?? ""
            md += "| \(cell(o.scenario)) | `\(cell(label(o)))` | \(measured(o))\(found) | \(verdict) |\n"
        }
        return md
    }
}
