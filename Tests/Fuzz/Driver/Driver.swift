import FuzzTargets
import Foundation

/// The libFuzzer driver. The target is named by `BRIDGED_FUZZ_TARGET`; `scripts/fuzz.sh` sets it and passes
/// the target's corpus folders.
///
/// SwiftPM links an executable's `main` to `bridged_fuzz_main`, so that is the entry point: it hands the
/// command line to libFuzzer's own driver, which calls `fuzzOneInput` for each input.
let target: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["BRIDGED_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget(rawValue: name) else {
        let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
        FileHandle.standardError.write(Data("BRIDGED_FUZZ_TARGET must be one of: \(names)\n".utf8))
        exit(2)
    }
    return target
}()

typealias FuzzCallback = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

/// libFuzzer's `int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*cb)(const uint8_t *, size_t))`.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: FuzzCallback
) -> CInt

@_cdecl("bridged_fuzz_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    _ = target
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments, fuzzOneInput)
}

/// The entry point libFuzzer's own `main` calls when the linker keeps that one instead.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ bytes: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    target.run(size == 0 || bytes == nil ? [] : Array(UnsafeBufferPointer(start: bytes, count: size)))
    return 0
}
