import Foundation
import NIOCore
import NIOPosix
import Testing

/// What every real-server fixture needs: free loopback ports, readiness by TCP connect, and a bounded stop.
public enum Loopback {
    /// A loopback port that was free a moment ago (bound to port 0, then released).
    public static func freePort() throws -> Int {
        let channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).wait()
        defer { channel.close(promise: nil) }
        guard let port = channel.localAddress?.port else {
            Issue.record("the free-port probe has no local port")
            throw CancellationError()
        }
        return port
    }

    /// Whether something accepts TCP connections on 127.0.0.1:`port`.
    public static func accepts(_ port: Int) async -> Bool {
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: port).get()
            try await channel.close()
            return true
        } catch {
            return false
        }
    }

    /// SIGTERM, then wait up to `seconds` for the exit; a server that does not stop is recorded as a test
    /// issue and killed.
    public static func terminate(_ process: Process, name: String, within seconds: Int) async {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        let deadline = ContinuousClock.now + .seconds(seconds)
        while process.isRunning, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        if process.isRunning {
            Issue.record("\(name) did not stop on SIGTERM within \(seconds) s")
            kill(process.processIdentifier, SIGKILL)
        }
    }
}
