import Telemetry

/// A plain-text table with aligned columns (numbers right-aligned).
public struct TextTable {
    public var headers: [String]
    public var rows: [[String]] = []

    public init(_ headers: [String]) { self.headers = headers }

    /// A row; each cell is one line, its control characters escaped (a name from a results file cannot
    /// break the table or fake a row).
    public mutating func add(_ row: [String]) { rows.append(row.map { TerminalText.escaped($0) }) }

    public var rendered: String {
        let widths = headers.indices.map { i in max(headers[i].count, rows.map { i < $0.count ? $0[i].count : 0 }.max() ?? 0) }
        func isNumeric(_ s: String) -> Bool { s.first.map { $0.isNumber || $0 == "-" || $0 == "+" } ?? false }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in
                let pad = String(repeating: " ", count: widths[i] - c.count)
                return i > 0 && isNumeric(c) ? pad + c : c + pad
            }.joined(separator: "  ").trimmingTrailingSpaces
        }
        return ([line(headers), line(widths.map { String(repeating: "─", count: $0) })] + rows.map(line)).joined(separator: "\n")
    }
}

extension String {
    var trimmingTrailingSpaces: String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}
