public import BridgeModel
import NIOCore
public import NIOSSL

/// Where and how to reach one IMAP account.
public struct IMAPConnectionConfiguration: Sendable {
    public enum Security: Hashable, Sendable {
        /// TLS from the first byte (the `imaps` port, RFC 8314).
        case implicitTLS
        /// Plaintext greeting, then STARTTLS before anything else; refused if the server does not offer it.
        case startTLS
        /// No TLS at all, credentials in the clear. Only for loopback tests; never the default.
        case plaintext
    }

    public enum Authentication: Hashable, Sendable {
        /// `AUTHENTICATE PLAIN` (RFC 4616), with SASL-IR when offered.
        case plain
        /// `LOGIN user password`.
        case login
    }

    public var host: String
    public var port: Int
    public var security: Security
    public var username: String
    public var password: Secret
    public var authentication: Authentication
    /// PEM file of the certificates to trust instead of the system roots (a private CA, a test server).
    public var trustRootsPEMFile: String?
    /// The name the certificate must carry (and SNI); defaults to `host`. Must be a DNS name, not an IP.
    public var serverHostname: String?
    public var framingLimits: IMAPFramingLimits
    public var connectTimeout: Duration
    /// How long any one command may take before the connection is given up.
    public var commandTimeout: Duration

    public init(
        host: String,
        port: Int,
        security: Security = .implicitTLS,
        username: String,
        password: Secret,
        authentication: Authentication = .plain,
        trustRootsPEMFile: String? = nil,
        serverHostname: String? = nil,
        framingLimits: IMAPFramingLimits = IMAPFramingLimits(),
        connectTimeout: Duration = .seconds(15),
        commandTimeout: Duration = .seconds(120)
    ) {
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.password = password
        self.authentication = authentication
        self.trustRootsPEMFile = trustRootsPEMFile
        self.serverHostname = serverHostname
        self.framingLimits = framingLimits
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
    }

    /// The TLS client context: certificate and host name verification on, TLS 1.2 at least, the system
    /// roots or exactly the configured ones. Build it once and reuse it for every connection.
    /// - Throws: ``IMAPError`` `tls-failed` when the trust roots cannot be read.
    public func makeTLSContext() throws(IMAPError) -> NIOSSLContext {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        tls.certificateVerification = .fullVerification
        if let file = self.trustRootsPEMFile { tls.trustRoots = .file(file) }
        do {
            return try NIOSSLContext(configuration: tls)
        } catch {
            throw IMAPError(
                .tlsFailed, "cannot build the TLS context (trust roots \(self.trustRootsPEMFile ?? "system")): \(error)"
            )
        }
    }
}
