import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// The real `bridged` binary run as a child process, for what only a separate process can show:
/// SIGKILL, SIGTERM, SIGHUP and the CLI's exit codes.
final class DaemonProcess: @unchecked Sendable {
    // @unchecked: the Process is only touched from the test's own task.
    let process = Process()
    let log: URL
    /// Where the daemon writes its bound ports once it listens (`bridged run --ready-file`).
    let readyFile: URL

    static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["BRIDGED_BINARY"] { return URL(fileURLWithPath: path) }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/bridged")
    }

    /// Runs a CLI command to completion. - Returns: exit status and combined output.
    static func command(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try self.requireBinary()
        let process = Process()
        process.executableURL = self.binary
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    static func requireBinary() throws {
        guard FileManager.default.isExecutableFile(atPath: self.binary.path) else {
            Issue.record("no bridged binary at \(self.binary.path): run `swift build` before `swift test` (or set BRIDGED_BINARY)")
            throw CancellationError()
        }
    }

    init(config: URL) throws {
        try Self.requireBinary()
        let run = UUID().uuidString
        self.log = config.appendingPathComponent("daemon-\(run).log")
        self.readyFile = config.appendingPathComponent("daemon-\(run).ready")
        guard FileManager.default.createFile(atPath: self.log.path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: self.log.path])
        }
        let handle = try FileHandle(forWritingTo: self.log)
        self.process.executableURL = Self.binary
        self.process.arguments = ["run", "--config", config.path, "--ready-file", self.readyFile.path]
        self.process.standardOutput = handle
        self.process.standardError = handle
        try self.process.run()
    }

    /// Waits until the daemon has bound its listeners (on ports the kernel chose: the config says port 0)
    /// and answers `/healthz`. - Returns: the ports it listens on.
    func waitReady() async throws -> (public: Int, admin: Int) {
        var ports: (public: Int, admin: Int)?
        try await eventually("the daemon wrote its ready file") {
            guard self.process.isRunning else {
                Issue.record("the daemon exited early: \(self.output)")
                throw CancellationError()
            }
            guard let data = try? Data(contentsOf: self.readyFile),
                let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                let publicPort = json["public_port"] as? Int, let adminPort = json["admin_port"] as? Int
            else { return false }
            ports = (publicPort, adminPort)
            return true
        }
        let bound = try #require(ports)
        try await self.waitHealthy(adminPort: bound.admin)
        return bound
    }

    /// Stops the daemon if it still runs (SIGKILL): for `defer`, so a failing test leaves nothing behind.
    func kill() {
        if self.process.isRunning { Foundation.kill(self.process.processIdentifier, SIGKILL) }
    }

    func waitHealthy(adminPort: Int) async throws {
        try await eventually("the daemon answers /healthz") {
            guard self.process.isRunning else {
                Issue.record("the daemon exited early: \(self.output)")
                throw CancellationError()
            }
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(adminPort)/healthz")
            request.method = .GET
            guard let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(2)) else { return false }
            return response.status == .ok
        }
    }

    func signal(_ signal: Int32) { Foundation.kill(self.process.processIdentifier, signal) }

    func waitForExit() async throws -> Int32 {
        try await eventually("the daemon exits") { !self.process.isRunning }
        return self.process.terminationStatus
    }

    var output: String { (try? String(contentsOf: self.log, encoding: .utf8)) ?? "" }
}
