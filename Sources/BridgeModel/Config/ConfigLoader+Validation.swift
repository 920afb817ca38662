import Foundation

extension ConfigLoader {
    static let namePattern = "lower-case letters, digits, '.', '_' and '-', starting with a letter or digit"

    static func isValidName(_ name: String) -> Bool {
        guard let first = name.utf8.first, name.utf8.count <= 64 else { return false }
        func ok(_ byte: UInt8) -> Bool { (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) }
        return ok(first) && name.utf8.allSatisfy { ok($0) || $0 == 0x2E || $0 == 0x5F || $0 == 0x2D }
    }

    // MARK: bridged.toml

    mutating func daemonSettings(_ file: DaemonFile) -> DaemonSettings {
        let name = "bridged.toml"
        var settings = DaemonSettings()
        if let path = file.store?.path { settings.store.path = path }
        if let days = file.store?.idempotency_retention_days {
            if days < 1 { self.report(name, "store.idempotency_retention_days", "must be at least 1") }
            settings.store.idempotencyRetentionDays = days
        }
        if let audit = file.audit {
            if let directory = audit.directory { settings.audit.directory = directory }
            if audit.signing_key_env != nil || audit.signing_key_file != nil {
                switch SecretSource.choose(env: audit.signing_key_env, file: audit.signing_key_file, key: "signing_key") {
                case .success(let source): settings.audit.signingKey = source
                case .failure(let error): self.report(name, "audit.signing_key_env", error.message)
                }
            }
            if let value = audit.checkpoint_records {
                if value < 1 { self.report(name, "audit.checkpoint_records", "must be at least 1") }
                settings.audit.checkpointRecords = value
            }
            if let value = audit.checkpoint_seconds {
                if value < 1 { self.report(name, "audit.checkpoint_seconds", "must be at least 1") }
                settings.audit.checkpointSeconds = value
            }
            if let content = audit.content { settings.audit.content = content }
            if let value = audit.segment_bytes {
                if value < 4096 { self.report(name, "audit.segment_bytes", "must be at least 4096") }
                settings.audit.segmentBytes = value
            }
            if let value = audit.refusal_window_seconds {
                if value < 1 { self.report(name, "audit.refusal_window_seconds", "must be at least 1") }
                settings.audit.refusalWindowSeconds = value
            }
            if let origin = audit.origin {
                if origin.isEmpty || origin.unicodeScalars.contains(where: { $0 == "+" || $0.properties.isWhitespace || $0.value < 0x20 }) {
                    self.report(name, "audit.origin", "must be non-empty, without spaces or '+' (it is the checkpoints' key name)")
                }
                settings.audit.origin = origin
            }
            if let directory = audit.publish_directory {
                if directory.isEmpty { self.report(name, "audit.publish_directory", "must not be empty") }
                settings.audit.publishDirectory = directory
            }
            if let text = audit.publish_url {
                let url = URL(string: text)
                let loopback = ["127.0.0.1", "::1", "[::1]", "localhost"].contains(url?.host ?? "")
                if url?.scheme == "https" || (url?.scheme == "http" && loopback), url?.host != nil {
                    settings.audit.publishURL = text
                } else {
                    self.report(name, "audit.publish_url", "must be an https:// URL (http:// only to a loopback address)")
                }
            }
            if audit.publish_token_env != nil || audit.publish_token_file != nil {
                switch SecretSource.choose(env: audit.publish_token_env, file: audit.publish_token_file, key: "publish_token") {
                case .success(let source): settings.audit.publishToken = source
                case .failure(let error): self.report(name, "audit.publish_token_env", error.message)
                }
            }
        }
        if let http = file.http {
            if let listen = http.listen { settings.http.listen = listen }
            if let value = http.max_body_bytes {
                if value < 1024 { self.report(name, "http.max_body_bytes", "must be at least 1024") }
                settings.http.maxBodyBytes = value
            }
            let limits: [(String, Int?, Int, WritableKeyPath<HTTPSettings, Int>)] = [
                ("header_timeout_seconds", http.header_timeout_seconds, 1, \.headerTimeoutSeconds),
                ("body_timeout_seconds", http.body_timeout_seconds, 1, \.bodyTimeoutSeconds),
                ("idle_timeout_seconds", http.idle_timeout_seconds, 1, \.idleTimeoutSeconds),
                ("max_connections_per_source", http.max_connections_per_source, 1, \.maxConnectionsPerSource),
                ("max_connections", http.max_connections, 0, \.maxConnections),
            ]
            for (key, value, minimum, path) in limits {
                guard let value else { continue }
                if value < minimum { self.report(name, "http.\(key)", "must be at least \(minimum)") }
                settings.http[keyPath: path] = value
            }
        }
        if let listen = file.admin?.listen {
            if !listen.isLoopback {
                self.report(name, "admin.listen", "the admin listener must bind a loopback address (127.0.0.1 or ::1)")
            }
            settings.admin.listen = listen
        }
        if let delivery = file.delivery {
            func positive(_ value: Int?, _ key: String) -> Int? {
                guard let value else { return nil }
                if value < 1 { self.report(name, "delivery.\(key)", "must be at least 1") }
                return value
            }
            if let value = positive(delivery.max_attempts, "max_attempts") { settings.delivery.maxAttempts = value }
            if let value = positive(delivery.max_age_seconds, "max_age_seconds") {
                settings.delivery.maxAgeSeconds = value
            }
            if let value = positive(delivery.initial_backoff_ms, "initial_backoff_ms") {
                settings.delivery.initialBackoffMilliseconds = value
            }
            if let value = positive(delivery.max_backoff_seconds, "max_backoff_seconds") {
                settings.delivery.maxBackoffSeconds = value
            }
            if let value = positive(delivery.window, "window") {
                if value > 256 { self.report(name, "delivery.window", "must be at most 256") }
                settings.delivery.window = value
            }
        }
        if settings.store.idempotencyRetentionDays * 86_400 <= settings.delivery.maxAgeSeconds {
            // A key must outlive every item it names that can still be delivered or redelivered by its source.
            self.report(
                name, "store.idempotency_retention_days",
                "must be longer than delivery.max_age_seconds (\(settings.delivery.maxAgeSeconds) s)"
            )
        }
        if let level = file.log?.level {
            let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
            if !levels.contains(level) {
                self.report(name, "log.level", "must be one of \(levels.joined(separator: ", "))")
            }
            settings.log.level = level
        }
        let keyName: String
        if case .environment = settings.audit.signingKey { keyName = "audit.signing_key_env" } else { keyName = "audit.signing_key_file" }
        switch Result(catching: { () throws(SecretError) in
            try settings.audit.signingKey.resolve(relativeTo: self.directory, environment: self.environment)
        }) {
        case .failure(let error):
            self.report(name, keyName, error.message)
        case .success(let secret):
            let text = String(decoding: secret.bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if Data(base64Encoded: text)?.count != 32 {
                self.report(name, keyName, "the audit signing key must be 32 bytes, base64 encoded (make one with `bridged audit keygen`)")
            }
        }
        return settings
    }

    func checkSecret(_ source: SecretSource) -> Result<Void, SecretError> {
        Result { () throws(SecretError) in
            _ = try source.resolve(relativeTo: self.directory, environment: self.environment)
        }
    }

    // MARK: orgs.toml

    mutating func organizations(_ file: OrgsFile) -> OrgDirectory {
        let name = "orgs.toml"
        var owners: [String: String] = [:]
        var orgs: [Organization] = []
        for (id, org) in file.orgs.sorted(by: { $0.key < $1.key }) {
            if !Self.isValidName(id) { self.report(name, "orgs.\(id)", "an org id uses \(Self.namePattern)") }
            if org.domains.isEmpty { self.report(name, "orgs.\(id).domains", "an org needs at least one domain") }
            var domains: [String] = []
            for (index, domain) in org.domains.enumerated() {
                let lowered = domain.lowercased()
                let bare = lowered.hasPrefix("*.") ? String(lowered.dropFirst(2)) : lowered
                if !Address.isValidDomain(bare) {
                    self.report(name, "orgs.\(id).domains[\(index)]", "\"\(domain)\" is not a valid domain")
                } else if let owner = owners[lowered] {
                    self.report(name, "orgs.\(id).domains[\(index)]", "domain \(lowered) already belongs to org \(owner)")
                } else {
                    owners[lowered] = id
                    domains.append(lowered)
                }
            }
            orgs.append(Organization(id: id, displayName: org.name, domains: domains))
        }
        return self.groups(file, directory: OrgDirectory(orgs))
    }

    // MARK: adapters.d

    /// Every `*.toml` file of a folder of the config directory, in name order, each recorded in `files`.
    /// A missing folder is no file; an unreadable file is an issue.
    mutating func tomlFiles(in folderName: String) -> [(file: String, stem: String, text: String)] {
        let folder = self.directory.appendingPathComponent(folderName)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return [] }
        var result: [(file: String, stem: String, text: String)] = []
        for fileName in names.sorted() where fileName.hasSuffix(".toml") {
            let file = "\(folderName)/\(fileName)"
            guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent(fileName).path),
                let text = String(data: data, encoding: .utf8)
            else {
                self.issues.append(ConfigIssue(file: file, message: "cannot read the file as UTF-8 text"))
                continue
            }
            self.files[file] = text
            result.append((file, String(fileName.dropLast(5)), text))
        }
        return result
    }

    mutating func loadAdapters(orgs: OrgDirectory) -> [AdapterDefinition] {
        var adapters: [AdapterDefinition] = []
        var seen: [String: String] = [:]
        for (file, stem, text) in self.tomlFiles(in: "adapters.d") {
            guard let definition = self.adapter(text: text, file: file, stem: stem) else {
                continue
            }
            if let other = seen[definition.name] {
                self.report(file, "name", "adapter name \"\(definition.name)\" is already used by \(other)")
                continue
            }
            seen[definition.name] = file
            if orgs.orgs[definition.org] == nil {
                self.report(file, "org", "unknown org \"\(definition.org)\" (not in orgs.toml)")
            }
            adapters.append(definition)
        }
        return adapters
    }

    mutating func adapter(text: String, file: String, stem: String) -> AdapterDefinition? {
        guard let header: AdapterHeaderFile = self.decode(text, file: file, strict: false) else { return nil }
        let settings: AdapterSettings
        let name: String?
        let org: String
        switch header.type {
        case "webhook":
            guard let raw: WebhookAdapterFile = self.decode(text, file: file, strict: true) else { return nil }
            (name, org) = (raw.name, raw.org)
            guard let webhook = self.webhookSettings(raw, file: file) else { return nil }
            settings = .webhook(webhook)
        case "spool":
            guard let raw: SpoolAdapterFile = self.decode(text, file: file, strict: true) else { return nil }
            (name, org) = (raw.name, raw.org)
            let sync = SpoolSettings.Sync(rawValue: raw.sync ?? SpoolSettings.Sync.file.rawValue)
            if sync == nil {
                self.report(file, "sync", "must be one of \(SpoolSettings.Sync.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))")
            }
            settings = .spool(SpoolSettings(directory: raw.directory, sync: sync ?? .file))
        case "xmpp-component":
            guard let raw: XMPPComponentAdapterFile = self.decode(text, file: file, strict: true) else { return nil }
            (name, org) = (raw.name, raw.org)
            guard let xmpp = self.xmppSettings(raw, file: file) else { return nil }
            settings = .xmppComponent(xmpp)
        case "email":
            guard let raw: EmailAdapterFile = self.decode(text, file: file, strict: true) else { return nil }
            (name, org) = (raw.name, raw.org)
            guard let email = self.emailSettings(raw, file: file) else { return nil }
            settings = .email(email)
        default:
            self.report(file, "type", "unknown adapter type \"\(header.type)\" (known: webhook, spool, xmpp-component, email)")
            return nil
        }
        let adapterName = name ?? stem
        guard Self.isValidName(adapterName) else {
            self.report(file, name == nil ? "" : "name", "adapter name \"\(adapterName)\" must use \(Self.namePattern)")
            return nil
        }
        return AdapterDefinition(name: adapterName, org: org, settings: settings, file: file)
    }

    mutating func xmppSettings(_ raw: XMPPComponentAdapterFile, file: String) -> XMPPComponentSettings? {
        var secret: SecretSource?
        switch SecretSource.choose(env: raw.secret_env, file: raw.secret_file, key: "secret") {
        case .success(let source):
            if case .failure(let error) = self.checkSecret(source) {
                self.report(file, raw.secret_env != nil ? "secret_env" : "secret_file", error.message)
            }
            secret = source
        case .failure(let error):
            self.report(file, "secret_env", "\(error.message) (the component's shared secret)")
        }
        if !(1...65535).contains(raw.port) { self.report(file, "port", "must be 1 to 65535") }
        if !Address.isValidDomain(raw.component.lowercased()) { self.report(file, "component", "not a valid domain") }
        if let value = raw.max_reconnect_seconds, value < 1 { self.report(file, "max_reconnect_seconds", "must be at least 1") }
        if let value = raw.keepalive_seconds, value < 1 { self.report(file, "keepalive_seconds", "must be at least 1") }
        if let value = raw.max_stanza_bytes, value < 4096 { self.report(file, "max_stanza_bytes", "must be at least 4096") }
        if let value = raw.dedupe_window_seconds, value < 1 { self.report(file, "dedupe_window_seconds", "must be at least 1") }
        let roomMode = raw.room_mode.map { XMPPRoomMode(rawValue: $0) } ?? .perSpeaker
        if roomMode == nil {
            self.report(file, "room_mode", "must be one of: " + XMPPRoomMode.allCases.map(\.rawValue).joined(separator: ", "))
        }
        guard let secret, let roomMode else { return nil }
        return XMPPComponentSettings(
            host: raw.host, port: raw.port, component: raw.component.lowercased(), secret: secret,
            maxReconnectSeconds: raw.max_reconnect_seconds ?? 30, keepaliveSeconds: raw.keepalive_seconds ?? 60,
            roomMode: roomMode, maxStanzaBytes: raw.max_stanza_bytes ?? 512 * 1024,
            dedupeWindowSeconds: raw.dedupe_window_seconds ?? 3600
        )
    }

    mutating func webhookSettings(_ raw: WebhookAdapterFile, file: String) -> WebhookSettings? {
        var inbound: SecretSource?
        switch SecretSource.choose(env: raw.secret_env, file: raw.secret_file, key: "secret") {
        case .success(let source):
            if case .failure(let error) = self.checkSecret(source) {
                self.report(file, raw.secret_env != nil ? "secret_env" : "secret_file", error.message)
            }
            inbound = source
        case .failure(let error):
            self.report(file, "secret_env", "\(error.message) (inbound requests must be signed)")
        }
        var outbound: SecretSource?
        if raw.deliver_secret_env != nil || raw.deliver_secret_file != nil {
            switch SecretSource.choose(env: raw.deliver_secret_env, file: raw.deliver_secret_file, key: "deliver_secret") {
            case .success(let source):
                if case .failure(let error) = self.checkSecret(source) {
                    self.report(file, raw.deliver_secret_env != nil ? "deliver_secret_env" : "deliver_secret_file", error.message)
                }
                outbound = source
            case .failure(let error): self.report(file, "deliver_secret_env", error.message)
            }
        }
        if let url = raw.deliver_url {
            let lowered = url.lowercased()
            let parsed = URL(string: url)
            if parsed?.host == nil || !(lowered.hasPrefix("https://") || lowered.hasPrefix("http://")) {
                self.report(file, "deliver_url", "must be an http:// or https:// URL with a host")
            } else if parsed?.user != nil || parsed?.password != nil {
                // Credentials in a URL end up in logs, process lists and proxies; the outbound side is signed.
                self.report(file, "deliver_url", "must not carry credentials (user:password@): deliveries are signed with deliver_secret_*")
            }
        }
        if let value = raw.timestamp_tolerance_seconds, value < 1 {
            self.report(file, "timestamp_tolerance_seconds", "must be at least 1")
        }
        if let value = raw.deliver_timeout_seconds, value < 1 {
            self.report(file, "deliver_timeout_seconds", "must be at least 1")
        }
        guard let inbound else { return nil }
        return WebhookSettings(
            dialect: raw.dialect ?? .generic,
            inboundSecret: inbound,
            deliverURL: raw.deliver_url,
            deliverSecret: outbound,
            timestampToleranceSeconds: raw.timestamp_tolerance_seconds ?? 300,
            deliverTimeoutSeconds: raw.deliver_timeout_seconds ?? 10
        )
    }
}
