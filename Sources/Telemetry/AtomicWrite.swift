import Foundation

/// Writes files whole or not at all, leaving nothing behind.
///
/// Foundation's atomic writes (`write(toFile:atomically: true)`, `Data.write(to:options: .atomic)`) leave a
/// `TemporaryDirectory.*` folder in the system's temporary directory for every file written on Linux; a CI job
/// writing reports, charts and JUnit files filled /tmp with them. This writes a hidden sibling file and renames
/// it over the target (atomic on one file system, as before).
public enum AtomicWrite {
    public static func write(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp").path
        guard FileManager.default.createFile(atPath: temporary, contents: data) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
        guard rename(temporary, path) == 0 else {
            let code = errno
            try? FileManager.default.removeItem(atPath: temporary)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path, NSUnderlyingErrorKey: POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)])
        }
    }

    public static func write(_ text: String, to path: String) throws { try write(Data(text.utf8), to: path) }
}
