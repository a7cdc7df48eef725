import Foundation
import GRDB
import Testing

/// `Examples/ShopLab` is a user's package: it depends on Stormglass by path, defines its own scenarios,
/// a policy and a fault, and gets the whole command line. Built and run here as a user would.
@Suite(.serialized) struct ExamplePackageTests {
    static let package = repositoryRoot.appendingPathComponent("Examples/ShopLab").path

    /// Runs a process to completion, returning its exit code and standard output (with `withErrors`,
    /// standard error too).
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], in directory: String? = nil, withErrors: Bool = false) throws -> (code: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        if let directory { p.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe()
        p.standardOutput = out
        p.standardError = withErrors ? out : FileHandle.standardError
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()   // read before waiting: no pipe deadlock
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Builds the example once (debug: it compiles in about a minute) and returns its executable.
    static let executable: Result<String, Error> = Result {
        let swift = try #require(ProcessInfo.processInfo.environment["PATH"]?.split(separator: ":")
            .map { "\($0)/swift" }.first { FileManager.default.isExecutableFile(atPath: $0) })
        var build = try run(swift, ["build", "--package-path", package, "--product", "shop-lab"])
        if build.code != 0 {
            // An incremental build can trip over sources Stormglass moved since the last one: start clean once.
            try? FileManager.default.removeItem(atPath: package + "/.build")
            build = try run(swift, ["build", "--package-path", package, "--product", "shop-lab"])
        }
        guard build.code == 0 else { throw ExampleBuildFailed() }
        let bin = try run(swift, ["build", "--package-path", package, "--show-bin-path"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        return bin + "/shop-lab"
    }

    @Test func itsGatesPassAndFailAsWrittenWithJUnit() throws {
        let shopLab = try Self.executable.get()
        let dir = temporaryDirectory()
        let list = try Self.run(shopLab, ["list"])
        #expect(list.code == 0)
        #expect(list.output.contains("checkout-surge") && list.output.contains("zone-outage"))
        #expect(!list.output.contains("black-friday"), "the user's command lists the user's scenarios only")

        // The gates the scenarios carry hold…
        let pass = try Self.run(shopLab, ["gate", "checkout-surge", "zone-outage", "--replications", "2", "--db", dir + "/g.sqlite",
                                          "--junit", dir + "/pass.xml", "--markdown", dir + "/pass.md"])
        #expect(pass.code == 0)
        let passXML = try String(contentsOfFile: dir + "/pass.xml", encoding: .utf8)
        #expect(passXML.contains("tests=\"4\" failures=\"0\"") && !passXML.contains("<failure"))
        #expect(pass.output.contains("recovery <= 5m") && !pass.output.contains("FAIL"))

        // …and one the system cannot meet fails with exit 1 and a JUnit <failure>.
        let fail = try Self.run(shopLab, ["gate", "zone-outage", "--gate", "recovery <= 10s", "--db", dir + "/g.sqlite",
                                          "--junit", dir + "/fail.xml", "--markdown", dir + "/fail.md"])
        #expect(fail.code == 1)
        let failXML = try String(contentsOfFile: dir + "/fail.xml", encoding: .utf8)
        #expect(failXML.contains("<failure message=\"measured") && failXML.contains("required recovery &lt;= 10s"))
        #expect(fail.output.contains("FAIL"))
    }

    @Test func aUserPolicyRunsBesideTheBuiltInOnesAndIsRecorded() throws {
        let shopLab = try Self.executable.get()
        let db = temporaryDirectory() + "/c.sqlite"
        let compare = try Self.run(shopLab, ["compare", "checkout-surge", "--policy", "hpa", "--policy", "my-policy",
                                             "--duration", "1h", "--db", db, "--quiet"])
        #expect(compare.code == 0)
        let rows = compare.output.components(separatedBy: "\n")
        #expect(rows.contains { $0.hasPrefix("hpa ") } && rows.contains { $0.hasPrefix("my-policy ") }, "\(compare.output)")
        let policies = try DatabaseQueue(path: db).read { try String.fetchAll($0, sql: "SELECT DISTINCT policy FROM decisions ORDER BY policy") }
        #expect(policies.contains("my-policy") && policies.contains("hpa"))

        // The user's fault kind reaches the event log under its own name.
        let run = try Self.run(shopLab, ["run", "zone-outage", "--db", db, "--quiet"])
        #expect(run.code == 0 && run.output.contains("cache-stampede"))
        let unknown = try Self.run(shopLab, ["run", "black-friday", "--db", db])
        #expect(unknown.code == 2)
        // What to run next is said in the user's command, not ours.
        let knob = try Self.run(shopLab, ["run", "zone-outage", "--set", "nosuch=1", "--db", db], withErrors: true)
        #expect(knob.code == 2 && knob.output.contains("`shop-lab list --parameters zone-outage` lists them"), "\(knob.output)")
        let help = try Self.run(shopLab, ["run", "--help"])
        #expect(help.output.contains("shop-lab list") && !help.output.contains("stormglass list") && !help.output.contains("stormglass run"), "\(help.output)")
    }

    /// The package's own tests, written as the catalog's "Testing your scenarios" shows: `swift test`
    /// builds them beside the library and the command, and `GateCheck` judges the gates.
    @Test func itsOwnTestsJudgeItsGates() throws {
        _ = try Self.executable.get()   // the package builds (and is built once for both)
        let swift = try #require(ProcessInfo.processInfo.environment["PATH"]?.split(separator: ":")
            .map { "\($0)/swift" }.first { FileManager.default.isExecutableFile(atPath: $0) })
        let test = try Self.run(swift, ["test", "--package-path", Self.package], withErrors: true)
        #expect(test.code == 0, "\(test.output.suffix(3000))")
        #expect(test.output.contains("theZoneOutageRecoversInFiveMinutes()") && test.output.contains("aRecoveryInTenSecondsIsBeyondIt()"))
        #expect(test.output.contains("Test run with 2 tests") && test.output.contains("passed"), "\(test.output.suffix(2000))")
    }

    /// Every Swift block in the documentation catalog is code this package compiles: its lines appear,
    /// in order and together, in one of the package's files (indentation aside).
    @Test func everySwiftSnippetInTheCatalogIsCompiledHere() throws {
        let catalog = repositoryRoot.appendingPathComponent("Sources/Stormglass/Stormglass.docc").path
        let articles = try FileManager.default.contentsOfDirectory(atPath: catalog).filter { $0.hasSuffix(".md") }
        #expect(articles.count >= 10)
        var files: [String: [String]] = [:]
        for case let path as String in FileManager.default.enumerator(atPath: Self.package)! where path.hasSuffix(".swift") && !path.hasPrefix(".build") {
            files[path] = try String(contentsOfFile: Self.package + "/" + path, encoding: .utf8).components(separatedBy: "\n")
                .map { $0.trimmingCharacters(in: .whitespaces) }
        }
        var snippets = 0
        for article in articles.sorted() {
            let lines = try String(contentsOfFile: catalog + "/" + article, encoding: .utf8).components(separatedBy: "\n")
            var i = 0
            while i < lines.count {
                guard lines[i].trimmingCharacters(in: .whitespaces) == "```swift" else { i += 1; continue }
                var block: [String] = []
                i += 1
                while i < lines.count, lines[i].trimmingCharacters(in: .whitespaces) != "```" { block.append(lines[i].trimmingCharacters(in: .whitespaces)); i += 1 }
                i += 1
                snippets += 1
                let found = files.contains { _, file in
                    file.count >= block.count && (0...(file.count - block.count)).contains { Array(file[$0..<($0 + block.count)]) == block }
                }
                #expect(found, "\(article): a Swift block starting \"\(block.first ?? "")\" is not code Examples/ShopLab compiles")
            }
        }
        #expect(snippets >= 8)
    }
}

struct ExampleBuildFailed: Error, CustomStringConvertible {
    var description: String { "swift build of Examples/ShopLab failed (its output is above)" }
}
