import Foundation
import Testing
import Telemetry

/// Event kinds, node states and run statuses are spelled once, in Telemetry's vocabulary.
@Suite struct VocabularyTests {
    /// The raw values `Sources/Telemetry/Vocabulary.swift` defines for one type.
    func rawValues(of type: String, in source: String) throws -> Set<String> {
        let pattern = try NSRegularExpression(pattern: "\(type)\\((?:rawValue: )?\"([^\"]+)\"\\)")
        let ns = source as NSString
        return Set(pattern.matches(in: source, range: NSRange(location: 0, length: ns.length)).map { ns.substring(with: $0.range(at: 1)) })
    }

    @Test func noSourceFileSpellsAVocabularyWord() throws {
        let sources = repositoryRoot.appendingPathComponent("Sources")
        let vocabularyFile = sources.appendingPathComponent("Telemetry/Vocabulary.swift")
        let vocabulary = try String(contentsOf: vocabularyFile, encoding: .utf8)
        var words: [String: String] = [:]
        for type in ["EventKind", "NodeState", "RunStatus"] {
            let values = try rawValues(of: type, in: vocabulary)
            #expect(!values.isEmpty, "found no \(type) constants: the test reads the wrong file")
            for v in values { words[v] = type }
        }
        #expect(words["fault-start"] == "EventKind" && words["up"] == "NodeState" && words["finished"] == "RunStatus")
        var offences: [String] = []
        let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)!
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" && $0.standardized != vocabularyFile.standardized }
        #expect(files.count > 50)
        for file in files {
            let lines = try String(contentsOf: file, encoding: .utf8).components(separatedBy: "\n")
            for (i, line) in lines.enumerated() where !line.trimmingCharacters(in: .whitespaces).hasPrefix("///") {
                // A row subscript (`r["failed"]`) names a column, not a state.
                let code = line.replacingOccurrences(of: #"\["[a-z_]+"\]"#, with: "", options: .regularExpression)
                for (word, type) in words where code.contains("\"\(word)\"") || code.contains("'\(word)'") {
                    offences.append("\(file.path.replacingOccurrences(of: sources.path + "/", with: "")):\(i + 1): \"\(word)\" (use \(type))")
                }
            }
        }
        #expect(offences.isEmpty, Comment(rawValue: "vocabulary spelled outside Telemetry/Vocabulary.swift:\n" + offences.joined(separator: "\n")))
    }

    @Test func definitionsOfDetectionAndMitigationFollowDesign() {
        // the Definitions article: detect = first incident or alert; mitigate = first scale-up, replacement node or failover.
        let detection = [EventKind.incidentOpen, .anomaly, .nodeFailureDetected, .faultStart, .scaleUp, .replicaReady].map { $0.countsAsDetection }
        #expect(detection == [true, true, true, false, false, false])
        let mitigation = [EventKind.scaleUp, .replace, .provision, .scaleDown, .oscillation, .incidentOpen].map { $0.countsAsMitigation }
        #expect(mitigation == [true, true, true, false, false, false])
        // The strings on disk are those older databases hold.
        #expect(EventKind.faultStart.rawValue == "fault-start" && EventKind.scaleUp.rawValue == "scale-up")
        #expect(RunStatus.aborted.rawValue == "aborted" && NodeState.provisioning.rawValue == "provisioning")
    }
}
