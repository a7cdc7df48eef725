import ArgumentParser

/// Bad input from the user: printed as one clear message, exit code 2.
struct InputError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The process exit codes Stormglass promises.
enum Exit {
    static let ok: Int32 = 0
    static let gateFailed: Int32 = 1
    static let badInput: Int32 = 2
    static let interrupted: Int32 = 130
}
