import Foundation
import NIOCore
import NIOPosix
import Testing

/// A real Exim 4.96 (`exim4-daemon-light`) started by the test on loopback (see ../shared/PEERS.md §4.1):
/// a throwaway config, spool, log and self-signed certificate in a temp directory, stopped with SIGTERM.
///
/// Submission port: STARTTLS advertised (unless ``Options/startTLS`` is false), AUTH PLAIN/LOGIN offered only
/// after TLS, ``username``/``password`` required (unless ``Options/requireAuthentication`` is false), a SIZE
/// limit. A second port speaks TLS from the first byte. Recipients whose local part starts with `defer-`
/// get 451 at RCPT, `reject-` get 550. Accepted mail is delivered, one copy per recipient with an
/// `Envelope-to:` header, into one maildir (`maildir/new/`; Exim 4.96 refuses file names built from the
/// tainted recipient address) or, with ``Options/lmtpPort``, to that LMTP server.
public final class EximFixture: @unchecked Sendable {
    // @unchecked: the Process is only touched from the owning test's task.
    public struct Options: Sendable {
        public var startTLS = true
        public var requireAuthentication = true
        public var messageSizeLimit = 100_000
        /// Deliver to this LMTP port on 127.0.0.1 instead of the maildir.
        public var lmtpPort: Int?

        public init(startTLS: Bool = true, requireAuthentication: Bool = true, messageSizeLimit: Int = 100_000, lmtpPort: Int? = nil) {
            self.startTLS = startTLS
            self.requireAuthentication = requireAuthentication
            self.messageSizeLimit = messageSizeLimit
            self.lmtpPort = lmtpPort
        }
    }

    public static let username = "gateway@acme.test"
    public static let password = "gatewaypw"
    public static let executable = "/usr/sbin/exim4"

    public let directory: URL
    /// Plaintext with STARTTLS (port 587 style).
    public let port: Int
    /// TLS from the first byte (port 465 style).
    public let implicitTLSPort: Int
    /// The self-signed certificate (CN and SAN `localhost`, SAN IP 127.0.0.1): trust it as a root.
    public let certificatePath: String
    public let options: Options
    private let process = Process()

    public init(_ options: Options = Options()) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.executable) else {
            Issue.record("Exim is not installed (\(Self.executable)): apt-get install exim4-daemon-light")
            throw CancellationError()
        }
        self.options = options
        self.directory = FileManager.default.temporaryDirectory.appendingPathComponent("exim-\(UUID().uuidString)")
        self.port = try Self.freePort()
        self.implicitTLSPort = try Self.freePort()
        let tls = self.directory.appendingPathComponent("tls")
        self.certificatePath = tls.appendingPathComponent("cert.pem").path
        for sub in ["tls", "spool", "log", "maildir"] {
            try FileManager.default.createDirectory(
                at: self.directory.appendingPathComponent(sub), withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o755]
            )
        }
        // Exim drops root for a non-default config (-C): everything it writes must belong to Debian-exim,
        // and every directory above must be traversable (PEERS.md §4.1 pitfalls).
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: self.directory.path)
        try Self.run("/usr/bin/openssl", [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout", tls.appendingPathComponent("key.pem").path, "-out", self.certificatePath,
        ])
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: tls.appendingPathComponent("key.pem").path)
        try Self.run("/bin/chown", ["-R", "Debian-exim:Debian-exim"] + ["spool", "log", "maildir"].map {
            self.directory.appendingPathComponent($0).path
        })
        try self.config.write(to: self.configFile, atomically: true, encoding: .utf8)
        // A config error is reported here, with Exim's words, instead of as a port that never opens.
        try Self.run(Self.executable, ["-C", self.configFile.path, "-bV"])
        try self.start()
    }

    var configFile: URL { self.directory.appendingPathComponent("exim.conf") }

    /// The Exim configuration (PEERS.md §4.1, plus test recipients, SIZE, implicit TLS, maildir delivery).
    var config: String {
        let d = self.directory.path
        let encryptionRule = self.options.startTLS ? "  deny    message = STARTTLS required\n          !encrypted = *\n" : ""
        let authRule = self.options.requireAuthentication ? "  deny    message = authentication required\n          !authenticated = *\n" : ""
        let delivery: String
        if let lmtp = self.options.lmtpPort {
            delivery = """
                begin routers
                to_lmtp:
                  driver = manualroute
                  route_list = * 127.0.0.1
                  transport = lmtp_out
                  self = send

                begin transports
                lmtp_out:
                  driver = smtp
                  protocol = lmtp
                  port = \(lmtp)
                  allow_localhost
                  hosts_avoid_tls = *
                """
        } else {
            delivery = """
                begin routers
                to_maildir:
                  driver = accept
                  transport = maildir_out

                begin transports
                maildir_out:
                  driver = appendfile
                  directory = \(d)/maildir
                  maildir_format
                  create_directory
                  delivery_date_add
                  envelope_to_add
                  return_path_add
                  user = Debian-exim
                  group = Debian-exim
                  mode = 0644
                """
        }
        return """
            primary_hostname = mx.acme.test
            spool_directory = \(d)/spool
            log_file_path = \(d)/log/%slog
            pid_file_path = \(d)/exim.pid
            exim_user = Debian-exim
            exim_group = Debian-exim
            daemon_smtp_ports = \(self.port) : \(self.implicitTLSPort)
            tls_on_connect_ports = \(self.implicitTLSPort)
            local_interfaces = 127.0.0.1
            host_lookup =
            rfc1413_hosts =
            keep_environment =
            tls_advertise_hosts = \(self.options.startTLS ? "*" : "")
            tls_certificate = \(d)/tls/cert.pem
            tls_privatekey = \(d)/tls/key.pem
            auth_advertise_hosts = ${if eq{$tls_in_cipher}{}{}{*}}
            message_size_limit = \(self.options.messageSizeLimit)
            acl_smtp_rcpt = acl_check_rcpt

            begin acl
            acl_check_rcpt:
            \(encryptionRule)\(authRule)  defer   message = 4.2.0 recipient deferred for the test
                      local_parts = ^defer-
              deny    message = 5.1.1 recipient rejected for the test
                      local_parts = ^reject-
              accept

            \(delivery)

            begin authenticators
            plain:
              driver = plaintext
              public_name = PLAIN
              server_prompts = :
              server_condition = ${if and{{eq{$auth2}{\(Self.username)}}{eq{$auth3}{\(Self.password)}}}}
              server_set_id = $auth2
            login:
              driver = plaintext
              public_name = LOGIN
              server_prompts = Username:: : Password::
              server_condition = ${if and{{eq{$auth1}{\(Self.username)}}{eq{$auth2}{\(Self.password)}}}}
              server_set_id = $auth1

            """
    }

    private func start() throws {
        // Started through perl so Exim gets an empty signal mask and reacts to SIGTERM (see ProsodyFixture).
        self.process.executableURL = URL(fileURLWithPath: "/usr/bin/perl")
        self.process.arguments = [
            "-e", #"use POSIX; sigprocmask(SIG_SETMASK, POSIX::SigSet->new); $SIG{$_} = "DEFAULT" for qw(TERM INT HUP PIPE); exec @ARGV or die $!"#,
            Self.executable, "-C", self.configFile.path, "-bdf", "-q5s",
        ]
        self.process.currentDirectoryURL = self.directory
        let output = FileManager.default.createFile(atPath: self.directory.appendingPathComponent("stdout.log").path, contents: nil)
        guard output, let log = FileHandle(forWritingAtPath: self.directory.appendingPathComponent("stdout.log").path) else {
            Issue.record("cannot create \(self.directory.path)/stdout.log")
            throw CancellationError()
        }
        self.process.standardOutput = log
        self.process.standardError = log
        try self.process.run()
    }

    /// Waits (bounded) until both ports accept connections.
    public func waitReady() async throws {
        // Generous, as for Dovecot: a loaded 2-core machine can take longer than 15 s.
        let deadline = ContinuousClock.now + .seconds(60)
        for port in [self.port, self.implicitTLSPort] {
            while !(await Self.accepts(port)) {
                guard ContinuousClock.now < deadline, self.process.isRunning else {
                    Issue.record("Exim did not open port \(port); \(self.diagnostics)")
                    // A server that never came up is stopped here: the caller gets no fixture to stop.
                    await self.stop(keepingFiles: true)
                    throw CancellationError()
                }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    /// SIGTERM, then wait (bounded) for the exit; removes the directory unless `keepingFiles`.
    public func stop(keepingFiles: Bool = false) async {
        await Loopback.terminate(self.process, name: "Exim", within: 60)
        if !keepingFiles {
            do { try FileManager.default.removeItem(at: self.directory) } catch {
                Issue.record("cannot remove \(self.directory.path): \(error)")
            }
        }
    }

    /// Every message delivered so far, oldest first by file name (maildir names start with the time).
    public func deliveredMessages() throws -> [[UInt8]] {
        let new = self.directory.appendingPathComponent("maildir").appendingPathComponent("new")
        guard FileManager.default.fileExists(atPath: new.path) else { return [] }
        return try FileManager.default.contentsOfDirectory(atPath: new.path).sorted().map { name in
            Array(try Data(contentsOf: new.appendingPathComponent(name)))
        }
    }

    /// The messages delivered to `address`, by the `Envelope-to:` header Exim adds.
    public func deliveredMessages(to address: String) throws -> [[UInt8]] {
        try self.deliveredMessages().filter { message in
            let text = String(decoding: message, as: UTF8.self)
            let head = text.components(separatedBy: "\n\n")[0]
            return head.split(separator: "\n").contains { line in
                line.lowercased().hasPrefix("envelope-to:")
                    && line.dropFirst("envelope-to:".count).split(separator: ",").contains {
                        $0.trimmingCharacters(in: .whitespaces).lowercased() == address.lowercased()
                    }
            }
        }
    }

    /// How many deliveries there were, for "nothing was delivered" checks.
    public func deliveryCount() throws -> Int { try self.deliveredMessages().count }

    /// Polls (bounded) until `address` has `count` messages, then returns them.
    public func waitForDelivery(to address: String, count: Int = 1, seconds: Double = 15) async throws -> [[UInt8]] {
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        while true {
            let messages = try self.deliveredMessages(to: address)
            if messages.count >= count { return messages }
            guard ContinuousClock.now < deadline else {
                Issue.record("no delivery to \(address) within \(seconds) s; \(self.diagnostics)")
                throw CancellationError()
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Exim's main log (`log/mainlog`).
    public var mainLog: String { self.read("log/mainlog") }

    public var diagnostics: String {
        "mainlog:\n\(self.mainLog)\npaniclog:\n\(self.read("log/paniclog"))\nstdout:\n\(self.read("stdout.log"))"
    }

    private func read(_ relative: String) -> String {
        let url = self.directory.appendingPathComponent(relative)
        guard let data = FileManager.default.contents(atPath: url.path) else { return "(no \(relative))" }
        return String(decoding: data, as: UTF8.self)
    }

    private static func run(_ executable: String, _ arguments: [String]) throws {
        let process = Process()
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = output
        process.standardError = output
        try process.run()
        // Read to the end before waiting, so a chatty child cannot block on a full pipe.
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            Issue.record("\(executable) \(arguments.joined(separator: " ")) failed with status \(process.terminationStatus): \(text)")
            throw CancellationError()
        }
    }

    static func accepts(_ port: Int) async -> Bool { await Loopback.accepts(port) }

    public static func freePort() throws -> Int { try Loopback.freePort() }
}
