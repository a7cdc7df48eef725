/// One forecast as recorded: made at `madeAt` for `madeAt + horizon`, with the actual once observed.
public struct PredictionRecord: Sendable, Equatable {
    public var service: String, metric: String, model: String
    public var madeAt: Double, horizon: Double, value: Double
    public var lower: Double?, upper: Double?, actual: Double?
    public init(service: String, metric: String, model: String, madeAt: Double, horizon: Double, value: Double,
                lower: Double?, upper: Double?, actual: Double?) {
        self.service = service; self.metric = metric; self.model = model; self.madeAt = madeAt; self.horizon = horizon
        self.value = value; self.lower = lower; self.upper = upper; self.actual = actual
    }
}

/// Accuracy of one model at one horizon over a run (the Definitions article's definitions), as recorded.
public struct AccuracyRecord: Sendable, Equatable {
    public var service: String, metric: String, model: String
    public var horizon: Double
    public var count: Int
    public var mape: Double, accuracy: Double, smape: Double, mase: Double, hitRate: Double, coverage: Double, scale: Double
    public init(service: String, metric: String, model: String, horizon: Double, count: Int, mape: Double, accuracy: Double,
                smape: Double, mase: Double, hitRate: Double, coverage: Double, scale: Double) {
        self.service = service; self.metric = metric; self.model = model; self.horizon = horizon; self.count = count
        self.mape = mape; self.accuracy = accuracy; self.smape = smape; self.mase = mase; self.hitRate = hitRate
        self.coverage = coverage; self.scale = scale
    }
}
