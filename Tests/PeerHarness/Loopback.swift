import Foundation
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// What every real-server fixture needs: free loopback ports, readiness by TCP connect, and a bounded stop.
public enum Loopback {
    /// Ports are handed out below the kernel's ephemeral range (32768-60999 on Linux), so no outgoing
    /// connection and no bind to port 0 elsewhere in the run can take one between the probe and the
    /// server's own bind; each test process walks its own stretch from a random start, so parallel tests
    /// in one process never get the same port twice.
    static let range = 20_000..<32_000
    static let next = Mutex(Int.random(in: Loopback.range))

    /// A loopback port below the ephemeral range that was free a moment ago (probed by binding it), and
    /// that no other caller in this process has been given.
    public static func freePort() throws -> Int {
        for _ in 0..<200 {
            let port = Self.next.withLock { next in
                let port = next
                next = next + 1 >= Self.range.upperBound ? Self.range.lowerBound : next + 1
                return port
            }
            guard let channel = try? ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .bind(host: "127.0.0.1", port: port).wait()
            else { continue }
            // Released before the caller's server binds it.
            try? channel.close().wait()
            return port
        }
        Issue.record("no free loopback port in \(Self.range) after 200 tries")
        throw CancellationError()
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
