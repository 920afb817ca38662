import Foundation

/// A whole config directory, loaded and validated: immutable, swapped as one unit on reload.
public struct ConfigSnapshot: Sendable {
    public var directory: URL
    public var daemon: DaemonSettings
    public var adapters: [AdapterDefinition]
    public var orgs: OrgDirectory
    public var routes: RoutesConfig
    public var policy: PolicyDocument
    /// The policy's own test cases (`policy.d/tests/*.toml`), which `bridged check` and a reload run.
    public var policyCases: [PolicyCase]
    /// Every file read, by path relative to the directory, with its exact contents (for revision digests).
    public var files: [String: String]

    public init(
        directory: URL,
        daemon: DaemonSettings,
        adapters: [AdapterDefinition],
        orgs: OrgDirectory,
        routes: RoutesConfig,
        policy: PolicyDocument,
        policyCases: [PolicyCase] = [],
        files: [String: String]
    ) {
        self.policyCases = policyCases
        self.directory = directory
        self.daemon = daemon
        self.adapters = adapters
        self.orgs = orgs
        self.routes = routes
        self.policy = policy
        self.files = files
    }

    public func adapter(named name: String) -> AdapterDefinition? {
        self.adapters.first { $0.name == name }
    }

    /// A path from the config resolved against the config directory.
    public func resolve(_ path: String) -> URL {
        path.hasPrefix("/") ? URL(fileURLWithPath: path) : self.directory.appendingPathComponent(path)
    }
}
