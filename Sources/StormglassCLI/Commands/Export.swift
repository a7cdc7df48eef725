import ArgumentParser
import Foundation
import Recorder

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Export recorded data as CSV.")

    enum Table: String, ExpressibleByArgument, CaseIterable {
        case runs, services = "service-samples", nodes = "node-samples", events, summaries, predictions
        var sql: String {
            switch self {
            case .runs: return "runs"
            case .services: return "service_samples"
            case .nodes: return "node_samples"
            case .events: return "events"
            case .summaries: return "summaries"
            case .predictions: return "predictions"
            }
        }
    }

    @Argument(help: "Results database.")
    var file: String = "results/stormglass.sqlite"

    @Flag(help: "Write CSV (the only format for now).")
    var csv = false

    @Option(help: "What to export: \(Table.allCases.map(\.rawValue).joined(separator: ", ")).")
    var table: Table = .services

    @Option(name: .customLong("run"), help: "Only this run (default: every run).")
    var runID: Int64?

    @Option(name: .shortAndLong, help: "Output file (default: standard output).")
    var output: String?

    func run() throws {
        let store = try ResultsStore.open(existing: file)
        let idColumn = table == .runs ? "id" : "run_id"
        let sql = "SELECT * FROM \(table.sql)" + (runID != nil ? " WHERE \(idColumn) = ?" : "") + " ORDER BY rowid"
        let (columns, rows) = try store.query(sql, arguments: runID.map { [$0] } ?? [])
        func field(_ s: String) -> String {
            s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        var text = columns.joined(separator: ",") + "\n"
        for r in rows { text += r.map(field).joined(separator: ",") + "\n" }
        if let output {
            do { try text.write(toFile: output, atomically: true, encoding: .utf8) } catch {
                throw InputError("cannot write \(output): \(error.localizedDescription)")
            }
            FileHandle.standardError.write(Data("wrote \(rows.count) rows to \(output)\n".utf8))
        } else {
            print(text, terminator: "")
        }
    }
}
