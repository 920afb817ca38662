import BridgeModel
import Foundation
import Testing

@Suite("Config directory loading")
struct ConfigLoaderTests {
    func issues(_ overrides: [String: String?], environment: [String: String] = [:]) throws -> [ConfigIssue] {
        try ConfigFixture.issues(overrides, environment: environment)
    }

    @Test("the valid example loads with every file's content")
    func validDirectoryLoads() throws {
        let fixture = try ConfigFixture()
        defer { fixture.remove() }
        let snapshot = try ConfigLoader.load(directory: fixture.directory, environment: [:])
        #expect(snapshot.adapters.map(\.name) == ["acme-archive", "globex-chat"])
        #expect(snapshot.orgs.org(of: try Address(parsing: "bob@eu.globex.test")) == "globex")
        #expect(snapshot.orgs.org(of: try Address(parsing: "x@other.test")) == nil)
        #expect(snapshot.routes.rooms.first?.members.count == 2)
        #expect(snapshot.policy.rules.first?.bothWays == true)
        #expect(snapshot.files.keys.contains("adapters.d/globex-chat.toml"))
    }

    @Test("an unknown key names the file, the line and the dotted key")
    func unknownKey() throws {
        let issues = try self.issues([
            "bridged.toml": """
                [audit]
                signing_key_file = "keys/audit.key"

                [delivery]
                max_atempts = 3
                """
        ])
        let issue = try #require(issues.first)
        #expect(issues.count == 1)
        #expect(issue.file == "bridged.toml")
        #expect(issue.line == 5)
        #expect(issue.key == "delivery.max_atempts")
        #expect(issue.description == "bridged.toml:5: delivery.max_atempts: unknown key")
    }

    @Test("a wrong type names the key")
    func wrongType() throws {
        let issues = try self.issues(["adapters.d/acme-archive.toml": "type = \"spool\"\norg = \"acme\"\ndirectory = 7\n"])
        let issue = try #require(issues.first)
        #expect(issue.file == "adapters.d/acme-archive.toml")
        #expect(issue.key == "directory")
        #expect(issue.line == 3)
        #expect(issue.message.contains("wrong type"))
    }

    @Test("a spool's sync is file or filesystem; anything else names the key and the choices")
    func spoolSync() throws {
        let issues = try self.issues(["adapters.d/acme-archive.toml": "type = \"spool\"\norg = \"acme\"\ndirectory = \"s\"\nsync = \"never\"\n"])
        let issue = try #require(issues.first)
        #expect(issues.count == 1)
        #expect(issue.file == "adapters.d/acme-archive.toml" && issue.key == "sync" && issue.line == 4)
        #expect(issue.message == #"must be one of "file", "filesystem""#)
    }

    @Test("a missing required key names the key")
    func missingKey() throws {
        let issues = try self.issues(["adapters.d/acme-archive.toml": "type = \"spool\"\ndirectory = \"spool\"\n"])
        let issue = try #require(issues.first)
        #expect(issue.file == "adapters.d/acme-archive.toml")
        #expect(issue.key == "org")
        #expect(issue.message == "required key is missing")
    }

    @Test("a syntax error names the line")
    func syntaxError() throws {
        let issues = try self.issues(["policy.toml": "[[rule]]\nid = \"x\"\naction = \n"])
        let issue = try #require(issues.first)
        #expect(issue.file == "policy.toml")
        #expect(issue.line == 3)
        #expect(issue.message.hasPrefix("syntax"))
    }

    @Test("two adapters with one name are an error naming both files")
    func duplicateAdapterNames() throws {
        let issues = try self.issues([
            "adapters.d/other.toml": "type = \"spool\"\nname = \"acme-archive\"\norg = \"acme\"\ndirectory = \"x\"\n"
        ])
        let issue = try #require(issues.first { $0.key == "name" })
        #expect(issue.file == "adapters.d/other.toml")
        #expect(issue.message.contains("adapters.d/acme-archive.toml"))
    }

    @Test("routes naming unknown adapters or orgs are errors with their dotted keys")
    func unknownRouteTargets() throws {
        let issues = try self.issues([
            "routes.toml": """
                [[reach]]
                org = "initech"
                adapter = "acme-archive"

                [[room]]
                id = "partners"
                [[room.member]]
                adapter = "globex-chat"
                channel = "a"
                [[room.member]]
                adapter = "nowhere"
                channel = "b"
                """
        ])
        let keys = Set(issues.map(\.key))
        #expect(keys.contains("reach[0].org"))
        #expect(keys.contains("room[0].member[1].adapter"))
        let member = try #require(issues.first { $0.key == "room[0].member[1].adapter" })
        #expect(member.line == 11)
        #expect(member.message.contains("nowhere"))
    }

    @Test("a reach route through a webhook without deliver_url is an error: nothing could ever be delivered")
    func reachWithoutOutbound() throws {
        let issues = try self.issues([
            "routes.toml": "[[reach]]\norg = \"globex\"\nadapter = \"globex-chat\"\n"
        ])
        let issue = try #require(issues.first)
        #expect(issue.key == "reach[0].adapter")
        #expect(issue.message.contains("no deliver_url"))
    }

    @Test("policy subjects naming unknown orgs and unknown actions are errors")
    func badPolicy() throws {
        let issues = try self.issues([
            "policy.toml": """
                [[rule]]
                id = "r1"
                action = "permit"
                from = ["org:globex"]
                to = ["org:acme"]

                [[rule]]
                id = "r2"
                action = "deny"
                from = ["org:umbrella"]
                to = ["not an address"]
                """
        ])
        #expect(issues.contains { $0.key == "rule[0].action" && $0.line == 3 })
        #expect(issues.contains { $0.key == "rule[1].from[0]" && $0.message.contains("umbrella") })
        #expect(issues.contains { $0.key == "rule[1].to[0]" })
    }

    @Test("every problem is listed, not just the first")
    func collectsAll() throws {
        let issues = try self.issues([
            "bridged.toml": "[admin]\nlisten = \"0.0.0.0:9480\"\n[audit]\nsigning_key_file = \"keys/audit.key\"\n",
            "adapters.d/acme-archive.toml": "type = \"carrier-pigeon\"\norg = \"acme\"\n",
        ])
        #expect(issues.contains { $0.file == "bridged.toml" && $0.key == "admin.listen" })
        #expect(issues.contains { $0.file == "adapters.d/acme-archive.toml" && $0.key == "type" })
    }

    @Test("secrets come from an environment variable or a file, and a missing one is an error")
    func secrets() throws {
        let fromEnv = "type = \"webhook\"\norg = \"globex\"\nsecret_env = \"GLOBEX_SECRET\"\n"
        #expect(try self.issues(["adapters.d/globex-chat.toml": fromEnv], environment: ["GLOBEX_SECRET": "x"]).isEmpty)
        let missing = try self.issues(["adapters.d/globex-chat.toml": fromEnv], environment: [:])
        #expect(missing.contains { $0.key == "secret_env" && $0.message.contains("GLOBEX_SECRET") })
        let inline = try self.issues(["adapters.d/globex-chat.toml": "type = \"webhook\"\norg = \"globex\"\nsecret = \"hunter2\"\n"])
        let issue = try #require(inline.first { $0.key == "secret" })
        #expect(issue.message.contains("never written inline"))
        #expect(!inline.map(\.description).joined().contains("hunter2"))
    }

    @Test("a secret never prints its value")
    func secretRedaction() {
        let secret = Secret(bytes: Array("hunter2".utf8))
        #expect("\(secret)" == "<redacted>")
        #expect(String(reflecting: secret) == "<redacted>")
    }

    @Test("a domain claimed by two orgs is an error")
    func domainClaimedTwice() throws {
        let issues = try self.issues([
            "orgs.toml": "[orgs.acme]\ndomains = [\"acme.test\"]\n[orgs.globex]\ndomains = [\"acme.test\"]\n"
        ])
        #expect(issues.contains { $0.key == "orgs.globex.domains[0]" && $0.message.contains("already belongs") })
    }

    @Test("a directory without bridged.toml is not a config directory")
    func missingDaemonFile() throws {
        let issues = try self.issues(["bridged.toml": nil])
        #expect(issues.contains { $0.file == "bridged.toml" && $0.message.hasPrefix("cannot read") })
    }
}

@Suite("Config directory loading: cross-file rules")
struct ConfigCrossFileTests {
    func issues(_ overrides: [String: String?]) throws -> [ConfigIssue] { try ConfigFixture.issues(overrides) }

    @Test("a room with two members on one adapter is refused")
    func roomMembersOnOneAdapter() throws {
        let issues = try self.issues([
            "routes.toml": """
                [[room]]
                id = "partners"
                [[room.member]]
                adapter = "globex-chat"
                channel = "a"
                [[room.member]]
                adapter = "globex-chat"
                channel = "b"
                """
        ])
        #expect(issues.contains { $0.key == "room[0].member[1].adapter" && $0.message.contains("different adapters") })
    }

    @Test("a malformed signing key is caught by check, not at start-up, and the key named is the one used")
    func malformedSigningKey() throws {
        let issues = try self.issues(["keys/audit.key": "not a key\n"])
        let issue = try #require(issues.first)
        #expect(issue.key == "audit.signing_key_file")
        #expect(issue.message.contains("32 bytes"))
    }

    @Test("checkpoints are posted over TLS, or plain HTTP to loopback only; the origin is a valid key name")
    func publishURLAndOrigin() throws {
        func audit(_ lines: String) throws -> [ConfigIssue] {
            try self.issues(["bridged.toml": "[audit]\nsigning_key_file = \"keys/audit.key\"\n\(lines)\n[admin]\nlisten = \"127.0.0.1:0\"\n"])
        }
        #expect(try audit("publish_url = \"http://witness.example.com/checkpoints\"").contains { $0.key == "audit.publish_url" })
        #expect(try audit("publish_url = \"ftp://127.0.0.1/x\"").contains { $0.key == "audit.publish_url" })
        #expect(try audit("publish_url = \"https://witness.example.com/checkpoints\"").isEmpty)
        #expect(try audit("publish_url = \"http://127.0.0.1:9999/checkpoints\"").isEmpty)
        #expect(try audit("origin = \"gw acme\"").contains { $0.key == "audit.origin" })
        #expect(try audit("origin = \"gw+acme\"").contains { $0.key == "audit.origin" })
        #expect(try audit("origin = \"gw.acme.test/bridged-audit\"\npublish_directory = \"/mnt/witness\"").isEmpty)
    }

    @Test("a rule with an unknown action still has its subjects checked")
    func unknownActionStillChecked() throws {
        let issues = try self.issues([
            "policy.toml": "[[rule]]\nid = \"r\"\naction = \"permit\"\nfrom = [\"org:umbrella\"]\nto = [\"org:acme\"]\n"
        ])
        #expect(issues.contains { $0.key == "rule[0].action" })
        #expect(issues.contains { $0.key == "rule[0].from[0]" })
    }

    @Test("check refuses look-alike loopback hosts, credentials in deliver_url, and allow_unauthenticated on a deny rule")
    func tricksAreRefused() throws {
        let admin = try self.issues([
            "bridged.toml": "[admin]\nlisten = \"127.attacker.example:9480\"\n[audit]\nsigning_key_file = \"keys/audit.key\"\n"
        ])
        #expect(admin.contains { $0.key == "admin.listen" }, "\(admin)")
        let url = try self.issues([
            "adapters.d/globex-chat.toml": """
                type = "webhook"
                org = "globex"
                secret_file = "secrets/globex.secret"
                deliver_url = "https://user:hunter2@chat.globex.test/hooks"
                """
        ])
        #expect(url.contains { $0.key == "deliver_url" && $0.message.contains("credentials") }, "\(url)")
        #expect(!url.map(\.description).joined().contains("hunter2"), "the password is not repeated in the error")
        let rule = try self.issues([
            "policy.toml": """
                [[rule]]
                id = "odd"
                action = "deny"
                from = ["org:globex"]
                to = ["org:acme"]
                allow_unauthenticated = true
                """
        ])
        #expect(rule.contains { $0.key == "rule[0].allow_unauthenticated" }, "\(rule)")
        for host in ["127.0.0.1", "127.1.2.3", "localhost", "::1"] { #expect(LoopbackHost.contains(host), "\(host)") }
        for host in ["127.attacker.example", "127.0.0.1.nip.io", "1270.0.0.1", "128.0.0.1", "127.0.0", "0.0.0.0"] {
            #expect(!LoopbackHost.contains(host), "\(host)")
        }
    }

    @Test("a secret file other users can read is refused, naming the file and the mode")
    func worldReadableSecret() throws {
        let fixture = try ConfigFixture()
        defer { fixture.remove() }
        let secret = fixture.directory.appendingPathComponent("secrets/globex.secret")
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: secret.path)
        do {
            _ = try ConfigLoader.load(directory: fixture.directory, environment: [:])
            Issue.record("a world-readable secret file was accepted")
        } catch {
            let issue = try #require(error.issues.first { $0.file == "adapters.d/globex-chat.toml" })
            #expect(issue.message.contains("can be read by other users (mode 644)"), "\(issue)")
        }
        // A symlink to a private file (how secret mounts usually look) is judged by the file it names.
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: secret.path)
        let link = fixture.directory.appendingPathComponent("secrets/linked.secret")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: secret)
        let adapter = fixture.directory.appendingPathComponent("adapters.d/globex-chat.toml")
        try "type = \"webhook\"\norg = \"globex\"\nsecret_file = \"secrets/linked.secret\"\n".write(to: adapter, atomically: true, encoding: .utf8)
        _ = try ConfigLoader.load(directory: fixture.directory, environment: [:])
    }
}
