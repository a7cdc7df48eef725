import ArgumentParser
import Foundation
import Telemetry
import Lab
import Recorder

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Export recorded data as CSV.")

    @Argument(help: "Results database.")
    var file: String = "results/stormglass.sqlite"

    @Flag(help: "CSV, the format export writes (it may be left out).")
    var csv = false

    @Option(help: "What to export: \(ExportTable.allCases.map(\.rawValue).joined(separator: ", ")).")
    var table: ExportTable = .services

    @Option(name: .customLong("run"), help: "Only this run (default: every run).")
    var runID: Int64?

    @Option(name: .shortAndLong, help: "Output file (default: standard output).")
    var output: String?

    func run() throws {
        let store = try ResultsStore.open(existing: file)
        _ = try store.runID(runID)   // an unknown --run is an error, not an empty file
        let (text, rows) = try store.csv(table, run: runID, shouldStop: { Interrupt.isRequested })
        if let output {
            do { try AtomicWrite.write(text, to: output) } catch {
                throw InputError("cannot write \(output): \(error.localizedDescription)")
            }
            FileHandle.standardError.write(Data("wrote \(rows) rows to \(output)\n".utf8))
        } else if isatty(1) != 0 {
            print(text, terminator: "")         // to a person: names' control characters escaped
        } else {
            Swift.print(text, terminator: "")   // to a file or a pipe: the data as recorded
        }
    }
}

extension ExportTable: ExpressibleByArgument {}
