import Recorder

/// A chart drawn for each service of a run. To add one: a type conforming to this, in its own file,
/// and its name in `RunCharts.serviceCharts`.
protocol ServiceChart {
    /// The file name part (`run1-checkout-load.png`).
    var kind: String { get }
    /// Fills the script (its output and house style are set); false when there is nothing to draw.
    func draw(_ service: ServiceDescription, _ data: RunChartData, into script: inout GnuplotScript) -> Bool
}

/// A chart drawn once per run (across services).
protocol RunChart {
    var kind: String { get }
    func draw(_ data: RunChartData, into script: inout GnuplotScript) -> Bool
}

extension RunChartData {
    func title(_ what: String, _ service: String) -> String { "\(what) — \(scenario) · \(service) (run \(run))" }
}
