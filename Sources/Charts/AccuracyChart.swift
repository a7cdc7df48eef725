import Recorder
import SimulationKernel

/// Accuracy (1 − MAPE) by horizon for every model, over all services' arrival-rate forecasts.
struct AccuracyChart: RunChart {
    let kind = "accuracy"
    func draw(_ data: RunChartData, into s: inout GnuplotScript) -> Bool {
        let scored = data.accuracy.filter { $0.accuracy.isFinite }
        guard !scored.isEmpty else { return false }
        // auto first, then the others by name.
        let models = Set(scored.map(\.model)).sorted { a, b in a == "auto" || (b != "auto" && a < b) }
        let horizons = Set(scored.map(\.horizon)).sorted()
        s.set(.title, "Prediction accuracy by horizon (1 − MAPE) — \(data.scenario) (run \(data.run))")
        s.set(.xlabel, "forecast horizon")
        s.set(.ylabel, "accuracy (%)")
        s.data("d", horizons.enumerated().map { i, h in
            [Double(i)] + models.map { m in
                let xs = scored.filter { $0.model == m && $0.horizon == h }.map(\.accuracy)
                return xs.isEmpty ? .nan : xs.reduce(0, +) / Double(xs.count) * 100
            }
        })
        s.code("""
        set style data histograms
        set style histogram clustered gap 1
        set style fill solid 0.8 border -1
        """)
        s.range(.y, 0, 100)
        s.tics(.x, horizons.enumerated().map { (label: SimDuration.seconds($0.element).description, at: Double($0.offset)) })
        s.plot(models.enumerated().map { GnuplotScript.Series.column("d", $0.offset + 2, title: $0.element) })
        return true
    }
}
