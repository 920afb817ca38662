public import BridgeModel
import Foundation
public import Logging
public import NIOCore

/// An org reached by email (`type = "email"`): IMAP in, SMTP submission out, threads kept in the
/// adapter state store.
///
/// Inbound, the mailbox follower hands over each new message; the message is marked only after its
/// envelope is committed to the inbox (or its refusal is audited and the raw message kept in the
/// rejected directory), so a crash in between fetches it again and the Message-ID dedupes it. Outbound,
/// each recipient is one SMTP transaction; a recipient the server accepted is remembered under the
/// delivery key, so a retry after a partial failure never sends twice.
public final class EmailAdapter: Adapter {
    public let name: String
    public let org: String
    let settings: EmailSettings
    let addressing: EmailAddressing
    let parser: EmailParser
    let follower: IMAPMailboxFollower?
    let smtp: SMTPClient?
    let state: any AdapterStateStore
    let rejectedDirectory: URL?
    /// Set while the IMAP account cannot be used (wrong credentials, ...), for /healthz.
    let imapFailure = AdapterFailure()
    /// `bounces@MAILDOMAIN`: the envelope sender of our mail, so bounces come back to the gateway's
    /// mailbox, where the loop guard audits them; and `postmaster@MAILDOMAIN`, the sender of notices.
    let bounceAddress: Address
    let postmaster: Address
    let logger: Logger

    /// - Parameters:
    ///   - imapPassword, smtpPassword, replyKey: the resolved secrets.
    ///   - rejectedDirectory: where refused messages are kept as `.eml` files.
    public init(
        name: String, org: String, settings: EmailSettings, replyKey: Secret, imapPassword: Secret?, smtpPassword: Secret?,
        state: any AdapterStateStore, rejectedDirectory: URL?, eventLoopGroup: any EventLoopGroup, logger: Logger
    ) throws {
        self.name = name
        self.org = org
        self.settings = settings
        self.addressing = try EmailAddressing(mailDomain: settings.mailDomain, replyKey: replyKey.bytes)
        self.parser = EmailParser(
            limits: EmailLimits(maxMessageBytes: settings.maxMessageBytes),
            trustedAuthservIDs: Set(settings.trustedAuthservIDs)
        )
        self.state = state
        self.rejectedDirectory = rejectedDirectory
        self.bounceAddress = try Address(local: "bounces", domain: settings.mailDomain)
        self.postmaster = try Address(local: "postmaster", domain: settings.mailDomain)
        self.logger = logger
        if let imap = settings.imap, let imapPassword {
            let configuration = IMAPFollowerConfiguration(
                host: imap.host, port: imap.port, security: Self.imapSecurity(imap.security), username: imap.username,
                password: imapPassword, mailbox: imap.mailbox,
                marking: {
                    switch imap.marking {
                    case .keyword(let keyword): .keyword(keyword)
                    case .move(let target): .move(to: target)
                    }
                }(),
                maxMessageBytes: settings.maxMessageBytes, idleRenewal: .seconds(imap.idleRenewSeconds),
                pollInterval: .seconds(imap.pollSeconds), trustRootsPEMFile: imap.trustRootsFile, serverHostname: imap.serverName
            )
            self.follower = IMAPMailboxFollower(
                configuration: configuration, account: name, cursorStore: AdapterCursorStore(state: state, adapter: name),
                eventLoopGroup: eventLoopGroup, logger: logger
            )
        } else {
            self.follower = nil
        }
        if let smtp = settings.smtp {
            let credentials = smtp.username.flatMap { user in smtpPassword.map { SMTPCredentials(username: user, password: $0) } }
            self.smtp = SMTPClient(
                configuration: SMTPClientConfiguration(
                    host: smtp.host, port: smtp.port, security: Self.smtpSecurity(smtp.security), credentials: credentials,
                    heloName: smtp.heloName ?? settings.mailDomain, trustRootsPEMFile: smtp.trustRootsFile,
                    serverHostname: smtp.serverName
                ),
                eventLoopGroup: eventLoopGroup, logger: logger
            )
        } else {
            self.smtp = nil
        }
    }

    public var canDeliver: Bool { self.smtp != nil }

    public func failing() async -> String? { self.imapFailure.current }

    public func run(sink: any InboundSink) async throws {
        try await withThrowingDiscardingTaskGroup { group in
            if let follower = self.follower {
                group.addTask {
                    try await follower.run(
                        onFailure: { error in
                            let first = self.imapFailure.current == nil
                            // Keep when it started; the audit records the later attempts.
                            if first { self.imapFailure.set("imap: \(error.shortDescription) since \(Timestamp.format(Date()))") }
                            // Audited when it starts and at every slow retry (at most every 15 minutes).
                            await sink.reject(
                                InboundRejection(
                                    adapter: self.name, reason: "imap-\(error.shortDescription)",
                                    detail: "\(first ? "inbound mail stopped" : "still failing"): \(error.description); retrying until an operator fixes it"
                                )
                            )
                        },
                        onRecovered: { self.imapFailure.set(nil) }
                    ) { fetched in try await self.handle(fetched, sink: sink) }
                }
            }
            if let listen = self.settings.lmtpListen {
                let listener = LMTPListener(
                    host: listen.host, port: listen.port, mailDomain: self.settings.mailDomain,
                    maxMessageBytes: self.settings.maxMessageBytes, logger: self.logger
                )
                group.addTask {
                    try await listener.run { message in try await self.handle(.message(uid: 0, bytes: message), sink: sink) }
                }
            }
        }
    }

    static func imapSecurity(_ security: EmailSettings.Security) -> IMAPFollowerConfiguration.Security {
        switch security {
        case .starttls: .startTLS
        case .tls: .implicitTLS
        case .plaintext: .plaintext
        }
    }

    static func smtpSecurity(_ security: EmailSettings.Security) -> SMTPClientConfiguration.Security {
        switch security {
        case .starttls: .startTLS
        case .tls: .implicitTLS
        case .plaintext: .plaintext
        }
    }
}

/// The IMAP cursor (UIDVALIDITY and last UID) kept in the adapter state store.
struct AdapterCursorStore: IMAPCursorStore {
    let state: any AdapterStateStore
    let adapter: String

    func loadCursor(account: String) async throws -> IMAPCursor? {
        try await self.state.load(IMAPCursor.self, adapter: self.adapter, key: "imap-cursor:\(account)")
    }

    func saveCursor(_ cursor: IMAPCursor, account: String) async throws {
        try await self.state.save(cursor, adapter: self.adapter, key: "imap-cursor:\(account)")
    }
}
