import Reports
import ArgumentParser
import Foundation
import Telemetry
import Lab
import Recorder

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a post-incident report (Markdown) for every incident of a recorded run.",
        discussion: "Example: \(CommandName.current) run latency-injection && \(CommandName.current) report -o reports/")

    @OptionGroup var recorded: RecordedRunOptions

    @Option(name: .shortAndLong, help: "Folder for the reports (default: print them).")
    var output: String?

    func run() throws {
        let (store, id) = try recorded.open()
        try store.requireSamples(run: id, for: "incident reports")
        let reports = try IncidentAnalysis.analyse(store, run: id, shouldStop: { Interrupt.isRequested })
        if let r = try store.runs().first(where: { $0.id == id }), r.status != .finished {
            // A partial run's reports cover what was recorded; say so rather than imply a whole run.
            let until = try store.recordedUntil(run: id)
            FileHandle.standardError.write(Data("note: run \(id) is \(r.status) (recorded up to \(Int(until)) s of \(Int(r.simulatedSeconds)) s): incidents up to then only\n".utf8))
        }
        if reports.isEmpty { print("run \(id) had no incidents\(try store.runs().first { $0.id == id }?.status == .finished ? "" : " in what was recorded")"); return }
        guard let output else {
            print(reports.map(\.markdown).joined(separator: "\n---\n\n"), terminator: "")
            return
        }
        do { try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true) } catch {
            throw InputError("cannot create \(output): \(error.localizedDescription)")
        }
        for (n, r) in reports.enumerated() {
            if Interrupt.isRequested {
                printError("interrupted: \(n) of \(reports.count) reports written")
                throw ExitCode.interrupted
            }
            let path = "\(output)/" + FileName.component("run\(id)-\(r.id)") + ".md"
            do { try AtomicWrite.write(r.markdown, to: path) } catch { throw InputError("cannot write \(path)") }
            print(path)
        }
    }
}
