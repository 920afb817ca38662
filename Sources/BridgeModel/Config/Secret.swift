import Foundation

/// A secret value. It prints as `<redacted>` so it can never reach a log line or an error text by accident.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) { self.bytes = bytes }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
}

/// Where a secret comes from. Secrets are never written inline in a config file.
public enum SecretSource: Sendable, Hashable, CustomStringConvertible {
    /// The value of an environment variable.
    case environment(String)
    /// The contents of a file (trailing newlines removed); relative paths are relative to the config directory.
    case file(String)

    public var description: String {
        switch self {
        case .environment(let name): "environment variable \(name)"
        case .file(let path): "file \(path)"
        }
    }

    /// Reads the secret.
    /// - Throws: ``SecretError`` naming where it looked, never the value.
    public func resolve(
        relativeTo directory: URL,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(SecretError) -> Secret {
        switch self {
        case .environment(let name):
            guard let value = environment[name], !value.isEmpty else {
                throw SecretError(message: "environment variable \(name) is not set or empty")
            }
            return Secret(bytes: Array(value.utf8))
        case .file(let path):
            let url = path.hasPrefix("/") ? URL(fileURLWithPath: path) : directory.appendingPathComponent(path)
            // The file's own mode, through any symlink (secret mounts are often links to the real file).
            if let mode = (try? FileManager.default.attributesOfItem(atPath: url.resolvingSymlinksInPath().path))?[.posixPermissions] as? Int,
                mode & 0o007 != 0
            {
                throw SecretError(
                    message: "secret file \(url.path) can be read by other users (mode \(String(mode & 0o777, radix: 8))): chmod 600 or 640"
                )
            }
            guard let data = FileManager.default.contents(atPath: url.path) else {
                throw SecretError(message: "cannot read secret file \(url.path)")
            }
            var bytes = Array(data)
            while let last = bytes.last, last == 0x0A || last == 0x0D { bytes.removeLast() }
            guard !bytes.isEmpty else { throw SecretError(message: "secret file \(url.path) is empty") }
            return Secret(bytes: bytes)
        }
    }

    /// Builds a source from a `*_env` / `*_file` pair of optional settings; exactly one must be set.
    static func choose(env: String?, file: String?, key: String) -> Result<SecretSource, SecretError> {
        switch (env, file) {
        case (let name?, nil): .success(.environment(name))
        case (nil, let path?): .success(.file(path))
        case (nil, nil): .failure(SecretError(message: "set \(key)_env or \(key)_file"))
        case (.some, .some): .failure(SecretError(message: "set only one of \(key)_env and \(key)_file"))
        }
    }
}

public struct SecretError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public var description: String { self.message }
}
