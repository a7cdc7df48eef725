import Recorder

/// Forecast against actual arrival rate at the predictor's longest horizon, the 95 % interval as a band.
struct PredictionChart: ServiceChart {
    let kind = "prediction"
    func draw(_ service: ServiceDescription, _ data: RunChartData, into s: inout GnuplotScript) -> Bool {
        guard let preds = data.predictions[service.name], let horizon = preds.first?.horizon else { return false }
        s.set(.title, data.title("Predicted vs actual arrival rate, \(Int(horizon / 60)) min ahead", service.name))
        s.set(.xlabel, data.axis.label)
        s.set(.ylabel, "requests / s")
        s.data("d", preds.map { [data.axis.value($0.madeAt + $0.horizon), $0.value, $0.lower ?? .nan, $0.upper ?? .nan, $0.actual ?? .nan] })
        s.shade(data.shades)
        s.range(.y, 0, nil)
        s.plot([.data("d", using: "1:3:4", "with filledcurves fs transparent solid 0.5", .interval, title: "95 % prediction interval"),
                .data("d", using: "1:5", "with lines lw 1", .actual, title: "actual"),
                .data("d", using: "1:2", "with lines lw 1.5", .forecast, title: "forecast (auto)")] + GnuplotScript.keys(data.shades))
        return true
    }
}
