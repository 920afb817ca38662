import Foundation
import TOMLKit

/// Loads and validates a config directory (`bridged.toml`, `adapters.d/*.toml`, `orgs.toml`, `routes.toml`,
/// `policy.toml`), collecting every problem instead of stopping at the first.
public struct ConfigLoader {
    public var directory: URL
    public var environment: [String: String]
    var issues: [ConfigIssue] = []
    var files: [String: String] = [:]

    public init(directory: URL, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.directory = directory.standardizedFileURL
        self.environment = environment
    }

    /// Loads the directory.
    /// - Throws: ``ConfigErrors`` listing every problem, each naming file, line (where known) and key.
    public static func load(
        directory: URL,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigErrors) -> ConfigSnapshot {
        var loader = ConfigLoader(directory: directory, environment: environment)
        return try loader.load()
    }

    mutating func load() throws(ConfigErrors) -> ConfigSnapshot {
        let daemonFile: DaemonFile? = self.decode("bridged.toml", required: true)
        let orgsFile: OrgsFile? = self.decode("orgs.toml", required: true)
        let routesFile: RoutesFile? = self.decode("routes.toml", required: false)
        let policyFile: PolicyFile? = self.decode("policy.toml", required: false)

        let daemon = daemonFile.map { self.daemonSettings($0) } ?? DaemonSettings()
        let orgs = orgsFile.map { self.organizations($0) } ?? OrgDirectory([])
        let adapters = self.loadAdapters(orgs: orgs)
        let routes = routesFile.map { self.routes($0, adapters: adapters, orgs: orgs) } ?? RoutesConfig()
        let policy = policyFile.map { self.policy($0, orgs: orgs, routes: routes) } ?? PolicyDocument()
        let policyCases = self.policyCases(orgs: orgs, routes: routes, policy: policy)

        guard self.issues.isEmpty else { throw ConfigErrors(self.issues) }
        return ConfigSnapshot(
            directory: self.directory,
            daemon: daemon,
            adapters: adapters,
            orgs: orgs,
            routes: routes,
            policy: policy,
            policyCases: policyCases,
            files: self.files
        )
    }

    // MARK: - Reading and decoding files

    /// Reads and strictly decodes one file, turning every parser and decoder error into an issue.
    mutating func decode<T: Decodable>(_ file: String, required: Bool, as type: T.Type = T.self) -> T? {
        let url = self.directory.appendingPathComponent(file)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            if required || FileManager.default.fileExists(atPath: url.path) {
                self.issues.append(ConfigIssue(file: file, message: "cannot read \(url.path)"))
            }
            return nil
        }
        guard let text = String(data: data, encoding: .utf8) else {
            self.issues.append(ConfigIssue(file: file, message: "not valid UTF-8"))
            return nil
        }
        self.files[file] = text
        return self.decode(text, file: file, strict: true)
    }

    mutating func decode<T: Decodable>(_ text: String, file: String, strict: Bool) -> T? {
        do {
            return try TOMLDecoder(strictDecoding: strict).decode(T.self, from: text)
        } catch {
            self.issues.append(contentsOf: Self.issues(from: error, file: file, text: text))
            return nil
        }
    }

    static func issues(from error: any Error, file: String, text: String) -> [ConfigIssue] {
        let locator = TOMLKeyLocator(text: text)
        func issue(_ path: [any CodingKey], _ message: String) -> ConfigIssue {
            let key = dotted(path)
            return ConfigIssue(file: file, line: locator.line(for: key), key: key, message: message)
        }
        switch error {
        case let error as TOMLParseError:
            return [ConfigIssue(file: file, line: error.source.begin.line, message: "syntax: \(error.description)")]
        case let error as UnexpectedKeysError:
            return error.keys.map { name, path in
                let full = dotted(path) == name || dotted(path).hasSuffix(".\(name)") ? path : path + [PlainKey(name)]
                return issue(full, unknownKeyMessage(name))
            }.sorted { ($0.line ?? 0, $0.key) < ($1.line ?? 0, $1.key) }
        case DecodingError.keyNotFound(let key, let context):
            let path = context.codingPath.last?.stringValue == key.stringValue ? context.codingPath : context.codingPath + [key]
            // TOMLKit reports a value of the wrong type as a missing key; the locator tells the two apart.
            if locator.contains(dotted(path)) {
                return [issue(path, "wrong type for this setting")]
            }
            return [issue(path, "required key is missing")]
        case DecodingError.typeMismatch(let type, let context):
            return [issue(context.codingPath, "wrong type: expected \(typeName(type))")]
        case DecodingError.valueNotFound(let type, let context):
            return [issue(context.codingPath, "missing value: expected \(typeName(type))")]
        case DecodingError.dataCorrupted(let context):
            return [issue(context.codingPath, context.debugDescription)]
        default:
            return [ConfigIssue(file: file, message: "\(error)")]
        }
    }

    static func unknownKeyMessage(_ name: String) -> String {
        let lowered = name.lowercased()
        if lowered.hasSuffix("secret") || lowered.hasSuffix("password") || lowered.hasSuffix("key") {
            return "unknown key; secrets are never written inline: use \(name)_env or \(name)_file"
        }
        return "unknown key"
    }

    static func typeName(_ type: Any.Type) -> String {
        let name = String(describing: type)
        switch name {
        case "String": return "a string"
        case "Int": return "an integer"
        case "Bool": return "a boolean"
        default:
            if name.hasPrefix("Array") { return "an array" }
            if name.hasPrefix("Dictionary") { return "a table" }
            return name
        }
    }

    static func dotted(_ path: [any CodingKey]) -> String {
        var text = ""
        for key in path {
            if let index = key.intValue, key.stringValue == "\(index)" || key.stringValue.hasPrefix("Index") {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return text
    }

    mutating func report(_ file: String, _ key: String, _ message: String) {
        let locator = self.files[file].map { TOMLKeyLocator(text: $0) }
        self.issues.append(ConfigIssue(file: file, line: locator?.line(for: key), key: key, message: message))
    }
}

struct PlainKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ value: String) { self.stringValue = value }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
