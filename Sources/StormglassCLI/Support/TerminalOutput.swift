import Foundation
import Telemetry

/// Everything the command line prints goes through here (it hides `Swift.print` in this module):
/// control characters that names from a results file or an input carry are escaped visibly, so
/// they can neither drive the terminal nor fake its lines' colours and titles.
func print(_ items: Any..., separator: String = " ", terminator: String = "\n") {
    let text = items.map { "\($0)" }.joined(separator: separator)
    Swift.print(TerminalText.escaped(text, keepingLines: true), terminator: terminator)
}

/// A message on standard error, its control characters escaped as `print`'s are.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((TerminalText.escaped(message, keepingLines: true) + "\n").utf8))
}
