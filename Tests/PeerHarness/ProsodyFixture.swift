import Foundation
import NIOCore
import NIOPosix
import Testing

/// A real Prosody started by the test on loopback (see ../shared/PEERS.md): two virtual hosts, a component
/// for each, throwaway config and data in a temp directory, stopped with SIGTERM.
public final class ProsodyFixture: @unchecked Sendable {
    // @unchecked: the Process is only touched from the owning test's task.
    public let directory: URL
    public let c2sPort: Int
    public let componentPort: Int
    private var process = Process()
    public static let secret = "component-secret"

    public init() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/prosody") else {
            Issue.record("Prosody is not installed (/usr/bin/prosody): run scripts/install-deps.sh test")
            throw CancellationError()
        }
        self.directory = FileManager.default.temporaryDirectory.appendingPathComponent("prosody-\(UUID().uuidString)")
        self.c2sPort = try Self.freePort()
        self.componentPort = try Self.freePort()
        let data = self.directory.appendingPathComponent("data")
        let certs = self.directory.appendingPathComponent("certs")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: certs, withIntermediateDirectories: true)
        let config = """
            run_as_root = true
            data_path = "\(data.path)"
            pidfile = "\(self.directory.path)/prosody.pid"
            certificates = "\(certs.path)"
            log = { { levels = { min = "info" }, to = "file", filename = "\(self.directory.path)/prosody.log" } }
            interfaces = { "127.0.0.1" }
            local_interfaces = { "127.0.0.1" }
            component_interfaces = { "127.0.0.1" }
            c2s_ports = { \(self.c2sPort) }
            component_ports = { \(self.componentPort) }
            modules_enabled = { "roster"; "saslauth"; "disco"; "ping"; "presence"; "posix"; "offline" }
            modules_disabled = { "s2s" }
            authentication = "internal_plain"
            c2s_require_encryption = false
            allow_unencrypted_plain_auth = true
            VirtualHost "acme.test"
            Component "partners.acme.test"
                component_secret = "\(Self.secret)"
            VirtualHost "globex.test"
            Component "partners.globex.test"
                component_secret = "\(Self.secret)"
            Component "rooms.acme.test" "muc"
                muc_room_default_public_jids = true
                muc_room_locking = false
            Component "rooms.globex.test" "muc"
                muc_room_default_public_jids = true
                muc_room_locking = false
            """
        let configFile = self.directory.appendingPathComponent("prosody.cfg.lua") // == self.configFile
        try config.write(to: configFile, atomically: true, encoding: .utf8)
        try self.start()
    }

    /// Waits until both the c2s and the component port accept connections (PEERS.md pitfall 2).
    public func waitReady() async throws {
        // Generous, as for Dovecot: a loaded 2-core machine can take longer than 15 s.
        let deadline = ContinuousClock.now + .seconds(60)
        for port in [self.c2sPort, self.componentPort] {
            while !(await Self.accepts(port)) {
                guard ContinuousClock.now < deadline, self.process.isRunning else {
                    Issue.record("Prosody did not open port \(port); see \(self.directory.path)/prosody.log")
                    // A server that never came up is stopped here: the caller gets no fixture to stop.
                    await self.stop(keepingData: true)
                    throw CancellationError()
                }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    /// Starts (or restarts, after ``stop(keepingData:)``) the server on the same ports with the same data.
    public func start() throws {
        self.process = Process()
        // The test process blocks most signals in its threads and children inherit that mask, so a server
        // started directly would never see SIGTERM. Perl (essential on Debian) resets the mask, then execs.
        self.process.executableURL = URL(fileURLWithPath: "/usr/bin/perl")
        self.process.arguments = [
            "-e", #"use POSIX; sigprocmask(SIG_SETMASK, POSIX::SigSet->new); $SIG{$_} = "DEFAULT" for qw(TERM INT HUP PIPE); exec @ARGV or die $!"#,
            "/usr/bin/prosody", "--config", self.configFile.path, "-F",
        ]
        self.process.currentDirectoryURL = self.directory
        let log = FileHandle(forWritingAtPath: "/dev/null")
        self.process.standardOutput = log
        self.process.standardError = log
        try self.process.run()
    }

    var configFile: URL { self.directory.appendingPathComponent("prosody.cfg.lua") }

    /// Creates an account (`prosodyctl register`), before or while the server runs.
    public func register(_ user: String, host: String, password: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/prosodyctl")
        process.arguments = ["--config", self.configFile.path, "register", user, host, password]
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            Issue.record("prosodyctl register \(user)@\(host) failed with status \(process.terminationStatus)")
            throw CancellationError()
        }
    }

    /// SIGTERM, then wait (bounded) for the exit: Prosody stops in milliseconds.
    public func stop(keepingData: Bool = false) async {
        await Loopback.terminate(self.process, name: "Prosody", within: 60)
        if !keepingData { try? FileManager.default.removeItem(at: self.directory) }
    }

    public var log: String { (try? String(contentsOf: self.directory.appendingPathComponent("prosody.log"), encoding: .utf8)) ?? "" }

    static func accepts(_ port: Int) async -> Bool { await Loopback.accepts(port) }

    public static func freePort() throws -> Int { try Loopback.freePort() }
}
