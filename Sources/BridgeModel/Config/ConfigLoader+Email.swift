extension ConfigLoader {
    mutating func emailSettings(_ raw: EmailAdapterFile, file: String) -> EmailSettings? {
        var ok = true
        let domain = raw.mail_domain.lowercased()
        if !Address.isValidDomain(domain) {
            self.report(file, "mail_domain", "not a valid domain")
            ok = false
        }
        let replyKey = self.secret(env: raw.reply_key_env, file: raw.reply_key_file, key: "reply_key", in: file, what: "the reply-address signing key")
        if let size = raw.max_message_bytes, size < 1024 {
            self.report(file, "max_message_bytes", "must be at least 1024")
            ok = false
        }
        if raw.imap == nil && raw.smtp == nil && raw.lmtp == nil {
            self.report(file, "", "an email adapter needs [imap] or [lmtp] (inbound), [smtp] (outbound), or both")
            ok = false
        }
        var lmtp: ListenAddress?
        if let raw = raw.lmtp {
            lmtp = ListenAddress(parsing: raw.listen)
            if lmtp == nil {
                self.report(file, "lmtp.listen", "expected HOST:PORT")
                ok = false
            } else if lmtp?.isLoopback == false {
                self.report(file, "lmtp.listen", "LMTP has no authentication: listen on a loopback address only")
                ok = false
            }
        }
        var imap: EmailSettings.IMAP?
        if let raw = raw.imap {
            imap = self.imapSettings(raw, file: file)
            ok = ok && imap != nil
        }
        var smtp: EmailSettings.SMTP?
        if let raw = raw.smtp {
            smtp = self.smtpSettings(raw, file: file)
            ok = ok && smtp != nil
        }
        guard ok, let replyKey else { return nil }
        return EmailSettings(
            mailDomain: domain, replyKey: replyKey, trustedAuthservIDs: (raw.trusted_authserv_ids ?? []).map { $0.lowercased() },
            maxMessageBytes: raw.max_message_bytes ?? 26_214_400, rejectedDirectory: raw.rejected_directory, imap: imap, smtp: smtp,
            lmtpListen: lmtp
        )
    }

    mutating func imapSettings(_ raw: EmailAdapterFile.IMAPFile, file: String) -> EmailSettings.IMAP? {
        var ok = true
        let security = self.security(raw.security, key: "imap.security", file: file)
        let password = self.secret(env: raw.password_env, file: raw.password_file, key: "imap.password", in: file, what: "the mailbox password")
        let port = raw.port ?? (security == .tls ? 993 : 143)
        if !(1...65535).contains(port) {
            self.report(file, "imap.port", "must be 1 to 65535")
            ok = false
        }
        var marking = EmailSettings.Marking.keyword(raw.keyword ?? "$Bridged")
        switch raw.mark ?? "keyword" {
        case "keyword":
            if raw.move_to != nil { self.report(file, "imap.move_to", "only with mark = \"move\""); ok = false }
        case "move":
            guard let target = raw.move_to, !target.isEmpty else {
                self.report(file, "imap.move_to", "mark = \"move\" needs the mailbox to move to")
                return nil
            }
            marking = .move(target)
        default:
            self.report(file, "imap.mark", "must be \"keyword\" or \"move\"")
            ok = false
        }
        if case .keyword(let keyword) = marking,
            keyword.isEmpty || !keyword.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F && !"(){%*\"\\]".unicodeScalars.contains($0) })
        {
            self.report(file, "imap.keyword", "an IMAP keyword is printable ASCII without spaces or (){%*\"\\]")
            ok = false
        }
        for (key, value) in [("imap.poll_seconds", raw.poll_seconds), ("imap.idle_renew_seconds", raw.idle_renew_seconds)] {
            if let value, value < 1 { self.report(file, key, "must be at least 1"); ok = false }
        }
        if let renew = raw.idle_renew_seconds, renew > 29 * 60 {
            self.report(file, "imap.idle_renew_seconds", "must be under 29 minutes (1740): servers drop IDLE after 30")
            ok = false
        }
        guard ok, let security, let password else { return nil }
        if security == .plaintext, !LoopbackHost.contains(raw.host) {
            self.report(file, "imap.security", "plaintext sends the password in clear: only for a server on loopback")
            return nil
        }
        return EmailSettings.IMAP(
            host: raw.host, port: port, security: security, username: raw.username, password: password,
            mailbox: raw.mailbox ?? "INBOX", marking: marking, pollSeconds: raw.poll_seconds ?? 60,
            idleRenewSeconds: raw.idle_renew_seconds ?? 1500, trustRootsFile: raw.trust_roots_file, serverName: raw.server_name
        )
    }

    mutating func smtpSettings(_ raw: EmailAdapterFile.SMTPFile, file: String) -> EmailSettings.SMTP? {
        var ok = true
        let security = self.security(raw.security, key: "smtp.security", file: file)
        var password: SecretSource?
        if raw.username != nil {
            password = self.secret(env: raw.password_env, file: raw.password_file, key: "smtp.password", in: file, what: "the submission password")
            ok = ok && password != nil
        } else if raw.password_env != nil || raw.password_file != nil {
            self.report(file, "smtp.username", "a password needs a username")
            ok = false
        }
        let port = raw.port ?? (security == .tls ? 465 : 587)
        if !(1...65535).contains(port) {
            self.report(file, "smtp.port", "must be 1 to 65535")
            ok = false
        }
        guard ok, let security else { return nil }
        if security == .plaintext, raw.username != nil {
            self.report(file, "smtp.security", "credentials are never sent without TLS: use starttls or tls")
            return nil
        }
        return EmailSettings.SMTP(
            host: raw.host, port: port, security: security, username: raw.username, password: password,
            heloName: raw.helo_name, trustRootsFile: raw.trust_roots_file, serverName: raw.server_name
        )
    }

    mutating func security(_ value: String?, key: String, file: String) -> EmailSettings.Security? {
        guard let security = EmailSettings.Security(rawValue: value ?? "starttls") else {
            self.report(file, key, "must be one of: " + EmailSettings.Security.allCases.map(\.rawValue).joined(separator: ", "))
            return nil
        }
        return security
    }

    mutating func secret(env: String?, file secretFile: String?, key: String, in file: String, what: String) -> SecretSource? {
        switch SecretSource.choose(env: env, file: secretFile, key: key) {
        case .success(let source):
            if case .failure(let error) = self.checkSecret(source) {
                self.report(file, env != nil ? "\(key)_env" : "\(key)_file", error.message)
            }
            return source
        case .failure(let error):
            self.report(file, "\(key)_env", "\(error.message) (\(what))")
            return nil
        }
    }
}
