/// How much of a run is recorded. A run's summary, figures, latency histogram, forecast accuracy,
/// events, faults and scaling decisions are always kept; what the levels drop is the per-scrape
/// detail, which is most of a file (a league run: 47 MB, 55 % of it predictions).
public enum RecordingLevel: String, Sendable, CaseIterable, Codable {
    /// Everything, including every model's forecast at every scrape (the `*-prediction` chart).
    case all
    /// Per-scrape service and node samples, but no per-scrape forecasts: every chart but `*-prediction`.
    case samples
    /// No per-scrape rows: `show`, `compare`, gates, sweeps and the league read everything they need;
    /// `plot` and `report` have nothing to draw or analyse.
    case summaries

    public var keepsSamples: Bool { self != .summaries }
    public var keepsPredictions: Bool { self == .all }
}
