import Foundation

/// Runs `executable` to completion and returns its exit status and what it wrote to
/// standard output (and standard error, unless `errors` is false: then it is discarded).
public func runProcess(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil,
                       errors: Bool = true) throws -> (status: Int32, output: String) {
    let p = Process()
    p.executableURL = executable
    p.arguments = arguments
    if let environment { p.environment = environment }
    let out = Pipe()
    p.standardOutput = out
    p.standardError = errors ? out : FileHandle.nullDevice
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// Runs blocking work (a child process, a build, a blocking read) on a GCD thread, not on
/// Swift's cooperative pool: on 2 cores that pool has 2 threads, and a test blocking one
/// starves every other test and the servers they talk to.
public func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { c in
        DispatchQueue.global().async { c.resume(with: Result { try body() }) }
    }
}
