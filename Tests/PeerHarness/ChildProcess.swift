import Foundation
import Testing

/// A helper program (a real XMPP client, ...) run by a test, its output collected in a file so the test can
/// poll it while the program runs. Started with a default signal mask, like the servers.
public final class ChildProcess: @unchecked Sendable {
    // @unchecked: the Process is only touched from the owning test's task.
    let process = Process()
    let outputFile: URL

    public init(_ executable: String, _ arguments: [String]) throws {
        self.outputFile = FileManager.default.temporaryDirectory.appendingPathComponent("child-\(UUID().uuidString).log")
        guard FileManager.default.createFile(atPath: self.outputFile.path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: self.outputFile.path])
        }
        let handle = try FileHandle(forWritingTo: self.outputFile)
        self.process.executableURL = URL(fileURLWithPath: "/usr/bin/perl")
        self.process.arguments = [
            "-e", #"use POSIX; sigprocmask(SIG_SETMASK, POSIX::SigSet->new); $SIG{$_} = "DEFAULT" for qw(TERM INT HUP PIPE); exec @ARGV or die $!"#,
            executable,
        ] + arguments
        self.process.standardOutput = handle
        self.process.standardError = handle
        try self.process.run()
    }

    public var output: String { (try? String(contentsOf: self.outputFile, encoding: .utf8)) ?? "" }
    public var isRunning: Bool { self.process.isRunning }

    /// Waits (bounded) until the output contains `text`.
    public func waitForOutput(_ text: String, seconds: Double = 60) async throws {
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        while !self.output.contains(text) {
            guard ContinuousClock.now < deadline else {
                Issue.record("no \"\(text)\" within \(seconds) s; output: \(self.output)")
                throw CancellationError()
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Waits (bounded) for the exit. - Returns: the exit status.
    public func waitForExit(seconds: Double = 60) async throws -> Int32 {
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        while self.process.isRunning {
            guard ContinuousClock.now < deadline else {
                kill(self.process.processIdentifier, SIGKILL)
                Issue.record("the program did not exit within \(seconds) s; output: \(self.output)")
                throw CancellationError()
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return self.process.terminationStatus
    }

    /// Ends the program (SIGTERM, then SIGKILL after a bounded wait) if it still runs; safe to call twice.
    public func stop() async {
        guard self.process.isRunning else { return }
        kill(self.process.processIdentifier, SIGTERM)
        let deadline = ContinuousClock.now + .seconds(5)
        while self.process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if self.process.isRunning { kill(self.process.processIdentifier, SIGKILL) }
    }

    /// The repository's `Tests/peers` folder, where helper scripts live.
    public static var peersDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("peers")
    }
}
