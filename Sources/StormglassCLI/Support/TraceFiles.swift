import ClusterModel
import Foundation

/// The trace files an option names: the file itself, or a folder's `.csv` files in name order.
/// A missing path or an empty folder is a problem worded with the option, appended to `problems`.
func traceFiles(_ path: String, option: String, problems: inout [String]) -> [String] {
    if RemoteTraces.isQuery(path) { return [path] }
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
        problems.append("\(option) \(path): no such file or folder")
        return []
    }
    guard isFolder.boolValue else { return [path] }
    let found = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { $0.hasSuffix(".csv") }.sorted()
    if found.isEmpty { problems.append("\(option) \(path): the folder holds no .csv files") }
    return found.map { (path as NSString).appendingPathComponent($0) }
}
