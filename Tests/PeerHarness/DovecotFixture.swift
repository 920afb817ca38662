import Foundation
import NIOCore
import NIOPosix
import Testing

/// A real Dovecot 2.3 started by the test on loopback (see ../shared/PEERS.md §3): IMAP with STARTTLS,
/// IMAPS and LMTP on free ports, a throwaway self-signed certificate, four users, maildirs and config in
/// a temp directory, stopped with SIGTERM.
public final class DovecotFixture: @unchecked Sendable {
    // @unchecked: the Process is only touched from the owning test's task.
    public static let gateway = (user: "gateway@acme.test", password: "gatewaypw")
    public static let carol = (user: "carol@initech.test", password: "carolpw")
    public static let alice = (user: "alice@acme.test", password: "alicepw")
    /// initech's compliance archive, where journal copies land.
    public static let compliance = (user: "compliance@initech.test", password: "compliancepw")
    /// The name the certificate carries (its SAN also has IP:127.0.0.1; TLS clients need a DNS name for SNI).
    public static let serverHostname = "localhost"
    /// Dovecot's post-login capabilities without IDLE (for the polling fallback).
    public static let capabilitiesWithoutIdle = "IMAP4rev1 SASL-IR LITERAL+ ID ENABLE NAMESPACE UNSELECT UIDPLUS MOVE"
    /// Without IDLE and MOVE (for the COPY + STORE + UID EXPUNGE fallback).
    public static let capabilitiesWithoutIdleOrMove = "IMAP4rev1 SASL-IR LITERAL+ ID ENABLE NAMESPACE UNSELECT UIDPLUS"

    public let directory: URL
    public let imapPort: Int
    public let imapsPort: Int
    public let lmtpPort: Int
    /// PEM of the self-signed server certificate; trust it as the only root.
    public let certificatePath: String
    private var process = Process()

    /// - Parameter imapCapability: replaces the capability list Dovecot announces (`imap_capability`),
    ///   e.g. ``capabilitiesWithoutIdle``; STARTTLS and AUTH= are still added before login.
    public init(imapCapability: String? = nil) throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/dovecot") else {
            Issue.record("Dovecot is not installed (/usr/sbin/dovecot): apt-get install dovecot-imapd dovecot-lmtpd")
            throw CancellationError()
        }
        // Short path: Dovecot's unix sockets live under it (108-byte limit).
        self.directory = URL(fileURLWithPath: "/tmp/dovecot-\(UUID().uuidString.prefix(8))")
        self.imapPort = try Self.freePort()
        self.imapsPort = try Self.freePort()
        self.lmtpPort = try Self.freePort()
        let fm = FileManager.default
        let home = self.directory.appendingPathComponent("home")
        for sub in ["run", "state", "tls"] {
            try fm.createDirectory(at: self.directory.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        try fm.createDirectory(at: home, withIntermediateDirectories: true)
        // Mail processes run as nobody: every directory above the homes must be traversable (PEERS.md pitfall 2).
        try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: self.directory.path)
        try fm.setAttributes([.ownerAccountName: "nobody", .groupOwnerAccountName: "nogroup"], ofItemAtPath: home.path)

        self.certificatePath = self.directory.appendingPathComponent("tls/cert.pem").path
        let keyPath = self.directory.appendingPathComponent("tls/key.pem").path
        try Self.runToCompletion(
            "/usr/bin/openssl",
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", keyPath, "-out",
                self.certificatePath,
            ]
        )
        try fm.setAttributes([.posixPermissions: 0o644], ofItemAtPath: keyPath)

        let users = [Self.gateway, Self.carol, Self.alice, Self.compliance].map { "\($0.user):{PLAIN}\($0.password)::::::" }
        try (users.joined(separator: "\n") + "\n").write(
            to: self.directory.appendingPathComponent("users"), atomically: true, encoding: .utf8)

        let d = self.directory.path
        let config = """
            base_dir = \(d)/run
            state_dir = \(d)/state
            instance_name = fixture-\(self.imapPort)
            log_path = \(d)/dovecot.log
            protocols = imap lmtp
            listen = 127.0.0.1
            ssl = yes
            ssl_cert = <\(self.certificatePath)
            ssl_key = <\(keyPath)
            ssl_dh = </usr/share/dovecot/dh.pem
            disable_plaintext_auth = no
            auth_mechanisms = plain login
            auth_failure_delay = 0
            default_internal_user = dovecot
            default_login_user = dovenull
            first_valid_uid = 1
            mail_fsync = never
            mail_location = maildir:~/Maildir
            \(imapCapability.map { "imap_capability = \($0)" } ?? "")
            passdb {
              driver = passwd-file
              args = scheme=PLAIN username_format=%u \(d)/users
            }
            userdb {
              driver = static
              args = uid=nobody gid=nogroup home=\(d)/home/%u allow_all_users=yes
            }
            namespace inbox {
              inbox = yes
            }
            service imap-login {
              inet_listener imap {
                address = 127.0.0.1
                port = \(self.imapPort)
              }
              inet_listener imaps {
                address = 127.0.0.1
                port = \(self.imapsPort)
                ssl = yes
              }
            }
            service lmtp {
              inet_listener lmtp {
                address = 127.0.0.1
                port = \(self.lmtpPort)
              }
            }

            """
        try config.write(to: self.configFile, atomically: true, encoding: .utf8)
        try self.start()
    }

    var configFile: URL { self.directory.appendingPathComponent("dovecot.conf") }

    /// Starts (or restarts, after ``stop(keepingData:)``) the server with the same ports and maildirs.
    public func start() throws {
        self.process = Process()
        // The test process blocks most signals and children inherit that mask, so a server started directly
        // would never see SIGTERM. Perl (essential on Debian) resets the mask, then execs.
        self.process.executableURL = URL(fileURLWithPath: "/usr/bin/perl")
        self.process.arguments = [
            "-e",
            #"use POSIX; sigprocmask(SIG_SETMASK, POSIX::SigSet->new); $SIG{$_} = "DEFAULT" for qw(TERM INT HUP PIPE); exec @ARGV or die $!"#,
            "/usr/sbin/dovecot", "-c", self.configFile.path, "-F",
        ]
        let output = FileHandle(forWritingAtPath: "/dev/null")
        self.process.standardOutput = output
        self.process.standardError = output
        try self.process.run()
    }

    /// Waits until the IMAP, IMAPS and LMTP ports accept connections.
    public func waitReady() async throws {
        // Generous: on a loaded 2-core machine Dovecot once took longer than 15 s to open its ports.
        let deadline = ContinuousClock.now + .seconds(60)
        for port in [self.imapPort, self.imapsPort, self.lmtpPort] {
            while !(await Self.accepts(port)) {
                guard ContinuousClock.now < deadline, self.process.isRunning else {
                    Issue.record("Dovecot did not open port \(port); log: \(self.log)")
                    // A server that never came up is stopped here: the caller gets no fixture to stop.
                    await self.stop(keepingData: true)
                    throw CancellationError()
                }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    /// Delivers a message through LMTP, as an MTA would (Python's smtplib.LMTP from Debian's python3).
    public func deliver(to recipient: String, raw: String, from sender: String = "partner@globex.test") async throws {
        let script = """
            import smtplib, sys
            raw = sys.stdin.buffer.read()
            with smtplib.LMTP("127.0.0.1", int(sys.argv[1])) as lmtp:
                refused = lmtp.sendmail(sys.argv[2], [sys.argv[3]], raw)
            sys.exit(1 if refused else 0)
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script, "\(self.lmtpPort)", sender, recipient]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        try input.fileHandleForWriting.write(contentsOf: Array(raw.utf8))
        try input.fileHandleForWriting.close()
        let status = try await Self.waitForExit(process, seconds: 20)
        guard status == 0 else {
            let text = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
            Issue.record("LMTP delivery to \(recipient) failed (status \(status)): \(text)")
            throw CancellationError()
        }
    }

    /// A message in a maildir as Dovecot reports it.
    public struct StoredMessage: Hashable, Sendable {
        public var uid: UInt32
        public var flags: [String]
    }

    /// The messages in `mailbox` of `user`, read with `doveadm fetch` (as root, no password needed).
    public func messages(of user: String, in mailbox: String = "INBOX") async throws -> [StoredMessage] {
        let text = try await self.doveadm(["-f", "flow", "fetch", "-u", user, "uid flags", "mailbox", mailbox, "ALL"])
        return text.split(separator: "\n").compactMap { line -> StoredMessage? in
            // uid=3 flags=\Seen $Bridged
            guard line.hasPrefix("uid="), let flagsRange = line.range(of: " flags=") else { return nil }
            guard let uid = UInt32(line[line.index(line.startIndex, offsetBy: 4)..<flagsRange.lowerBound]) else {
                return nil
            }
            return StoredMessage(uid: uid, flags: line[flagsRange.upperBound...].split(separator: " ").map(String.init))
        }
    }

    /// The mailbox names of `user` (`doveadm mailbox list`).
    public func mailboxes(of user: String) async throws -> [String] {
        try await self.doveadm(["mailbox", "list", "-u", user]).split(separator: "\n").map(String.init)
    }

    /// Runs `doveadm -c <config> arguments...` and returns its output.
    public func doveadm(_ arguments: [String]) async throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/doveadm")
        process.arguments = ["-c", self.configFile.path] + arguments
        let outputFile = self.directory.appendingPathComponent("doveadm-\(UUID().uuidString).out")
        guard FileManager.default.createFile(atPath: outputFile.path, contents: nil) else {
            Issue.record("cannot create \(outputFile.path)")
            throw CancellationError()
        }
        let handle = try FileHandle(forWritingTo: outputFile)
        defer { try? FileManager.default.removeItem(at: outputFile) }
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let status = try await Self.waitForExit(process, seconds: 20)
        try handle.close()
        let output = try String(contentsOf: outputFile, encoding: .utf8)
        guard status == 0 else {
            Issue.record("doveadm \(arguments.joined(separator: " ")) failed (status \(status)): \(output)")
            throw CancellationError()
        }
        return output
    }

    /// SIGTERM, then wait (bounded) for the exit: Dovecot stops in about a second.
    public func stop(keepingData: Bool = false) async {
        await Loopback.terminate(self.process, name: "Dovecot", within: 60)
        if !keepingData { try? FileManager.default.removeItem(at: self.directory) }
    }

    public var log: String {
        (try? String(contentsOf: self.directory.appendingPathComponent("dovecot.log"), encoding: .utf8)) ?? ""
    }

    static func runToCompletion(_ executable: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            Issue.record("\(executable) \(arguments.first ?? "") failed with status \(process.terminationStatus)")
            throw CancellationError()
        }
    }

    static func waitForExit(_ process: Process, seconds: Int) async throws -> Int32 {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while process.isRunning {
            guard ContinuousClock.now < deadline else {
                kill(process.processIdentifier, SIGKILL)
                Issue.record("\(process.executableURL?.path ?? "a helper") did not exit within \(seconds) s")
                throw CancellationError()
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        return process.terminationStatus
    }

    static func accepts(_ port: Int) async -> Bool { await Loopback.accepts(port) }

    public static func freePort() throws -> Int { try Loopback.freePort() }
}
