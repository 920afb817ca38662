// The shapes of the config files exactly as written, decoded strictly (an unknown key is an error).
// ConfigLoader turns them into the model types and validates what spans files.

struct DaemonFile: Decodable {
    struct Store: Decodable {
        var path: String?
        var idempotency_retention_days: Int?
    }

    struct Audit: Decodable {
        var directory: String?
        var signing_key_env: String?
        var signing_key_file: String?
        var checkpoint_records: Int?
        var checkpoint_seconds: Int?
        var content: AuditContent?
        var segment_bytes: Int?
        var refusal_window_seconds: Int?
        var origin: String?
        var publish_directory: String?
        var publish_url: String?
        var publish_token_env: String?
        var publish_token_file: String?
    }

    struct HTTP: Decodable {
        var listen: ListenAddress?
        var max_body_bytes: Int?
        var header_timeout_seconds: Int?
        var body_timeout_seconds: Int?
        var idle_timeout_seconds: Int?
        var max_connections_per_source: Int?
        var max_connections: Int?
    }

    struct Admin: Decodable {
        var listen: ListenAddress?
    }

    struct Delivery: Decodable {
        var max_attempts: Int?
        var max_age_seconds: Int?
        var initial_backoff_ms: Int?
        var max_backoff_seconds: Int?
        var window: Int?
    }

    struct Log: Decodable {
        var level: String?
    }

    var store: Store?
    var audit: Audit?
    var http: HTTP?
    var admin: Admin?
    var delivery: Delivery?
    var log: Log?
}

/// Read leniently first, to learn which strict shape the rest of the file must have.
struct AdapterHeaderFile: Decodable {
    var type: String
}

struct WebhookAdapterFile: Decodable {
    var type: String
    var name: String?
    var org: String
    var dialect: WebhookSettings.Dialect?
    var secret_env: String?
    var secret_file: String?
    var deliver_url: String?
    var deliver_secret_env: String?
    var deliver_secret_file: String?
    var timestamp_tolerance_seconds: Int?
    var deliver_timeout_seconds: Int?
}

struct XMPPComponentAdapterFile: Decodable {
    var type: String
    var name: String?
    var org: String
    var host: String
    var port: Int
    var component: String
    var secret_env: String?
    var secret_file: String?
    var max_reconnect_seconds: Int?
    var keepalive_seconds: Int?
    var room_mode: String?
    var max_stanza_bytes: Int?
    var dedupe_window_seconds: Int?
}

struct SpoolAdapterFile: Decodable {
    var type: String
    var name: String?
    var org: String
    var directory: String
    var sync: String?
}

struct OrgsFile: Decodable {
    struct Org: Decodable {
        var name: String?
        var domains: [String]
        var groups: [String: Group]?
    }

    struct Group: Decodable {
        var description: String?
        var members: [String]?
        var include: [String]?
        var members_file: String?
    }

    var orgs: [String: Org]
}

struct RoutesFile: Decodable {
    struct Reach: Decodable {
        var org: String
        var adapter: String
    }

    struct Room: Decodable {
        struct Member: Decodable {
            var adapter: String
            var channel: String
            var audience: OneOrMany?
        }

        var id: String
        var member: [Member]
    }

    var reach: [Reach]?
    var room: [Room]?
}

struct PolicyFile: Decodable {
    struct Rule: Decodable {
        var id: String
        var action: String
        var from: [String]
        var to: [String]
        var kinds: [String]?
        var both_ways: Bool?
        var allow_unauthenticated: Bool?
        var mode: String?
        var description: String?
        var `where`: OneOrMany?
        var words: [String]?
        var words_file: String?
        var patterns: [String]?
        var detectors: [String]?
        var subject_words: [String]?
        var subject_patterns: [String]?
        var attachment_types: [String]?
        var attachment_larger_than: Int?
        var authenticated: Bool?
        var time: OneOrMany?
        var notice_text: String?
        var silent: Bool?
        var disclaimer: String?
        var journal_to: String?
        var journal_denied: Bool?
        var rate: String?
        var burst: Int?
        var per: String?
    }

    struct Barrier: Decodable {
        var id: String
        var between: [String]
        var mode: String?
        var notice_text: String?
        var silent: Bool?
        var description: String?
    }

    var revision: String?
    var rule: [Rule]?
    var barrier: [Barrier]?
}

struct EmailAdapterFile: Decodable {
    struct IMAPFile: Decodable {
        var host: String
        var port: Int?
        var security: String?
        var username: String
        var password_env: String?
        var password_file: String?
        var mailbox: String?
        var mark: String?
        var keyword: String?
        var move_to: String?
        var poll_seconds: Int?
        var idle_renew_seconds: Int?
        var trust_roots_file: String?
        var server_name: String?
    }

    struct SMTPFile: Decodable {
        var host: String
        var port: Int?
        var security: String?
        var username: String?
        var password_env: String?
        var password_file: String?
        var helo_name: String?
        var trust_roots_file: String?
        var server_name: String?
    }

    var type: String
    var name: String?
    var org: String
    var mail_domain: String
    var reply_key_env: String?
    var reply_key_file: String?
    var trusted_authserv_ids: [String]?
    var max_message_bytes: Int?
    var rejected_directory: String?
    var imap: IMAPFile?
    var smtp: SMTPFile?
    var lmtp: LMTPFile?

    struct LMTPFile: Decodable {
        var listen: String
    }
}
