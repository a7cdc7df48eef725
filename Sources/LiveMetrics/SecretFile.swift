import Foundation

/// A secret (a token, a password, a webhook key) read from a file: one line, at most 64 KiB, never
/// echoed in an error. Secrets come from files or the environment, never the command line, where `ps`
/// shows them, nor the results database.
public enum SecretFile {
    /// Secrets are short; a larger file is a wrong path, not a token.
    public static let maximumBytes = 64 * 1024

    /// The secret in `path`, its trailing line break removed; nil with the problem added when it cannot be one.
    /// - Parameter what: the option that named the file, for the problem's words.
    public static func read(_ path: String, what: String, problems: inout [String]) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            problems.append("\(what) \(path): \(FileManager.default.fileExists(atPath: path) ? "cannot read the file" : "no such file")")
            return nil
        }
        defer { try? handle.close() }
        let data = (try? handle.read(upToCount: maximumBytes + 1)) ?? Data()
        guard data.count <= maximumBytes else { problems.append("\(what) \(path): larger than 64 KiB, not a secret"); return nil }
        guard let text = String(data: data, encoding: .utf8) else { problems.append("\(what) \(path): not UTF-8 text"); return nil }
        // A trailing line break is the editor's, not the secret's.
        let secret = text.trimmingCharacters(in: .newlines)
        guard !secret.isEmpty else { problems.append("\(what) \(path): the file is empty"); return nil }
        guard !secret.contains(where: \.isNewline) else { problems.append("\(what) \(path): holds more than one line"); return nil }
        return secret
    }
}
