import Foundation
import Testing

@testable import FlameGraph
import Folded
import Profile

/// Helpers shared by the flame graph tests: building trees from folded text, reading the
/// fixtures, and checking output with xmllint.
enum Support {
    static let samples = ValueType(type: "samples", unit: "count")
    static let cpu = ValueType(type: "cpu", unit: "nanoseconds")

    /// A tree from folded stacks (`a;b;c 10` per line).
    static func tree(_ folded: String, valueType: ValueType = samples, reverse: Bool = false) throws -> FlameTree {
        var builder = FlameTreeBuilder(valueType: valueType, reverse: reverse)
        try add(folded, to: &builder, side: .primary)
        return builder.build()
    }

    /// A differential tree: `base` is the baseline, `new` the profile drawn.
    static func diffTree(base: String, new: String, valueType: ValueType = samples) throws -> FlameTree {
        var builder = FlameTreeBuilder(valueType: valueType, differential: true)
        try add(base, to: &builder, side: .base)
        try add(new, to: &builder, side: .primary)
        return builder.build()
    }

    static func add(_ folded: String, to builder: inout FlameTreeBuilder, side: FlameTreeBuilder.Side) throws {
        let bytes = Array(folded.utf8)
        var failure: FoldedError?
        bytes.withUnsafeBytes { raw in
            do throws(FoldedError) {
                try builder.addFolded(bytes: raw, side: side)
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
    }

    /// The source directory of these tests (golden files are rewritten there).
    static func testsDirectory(_ file: String = #filePath) -> URL {
        URL(fileURLWithPath: file).deletingLastPathComponent()
    }

    static var fixtures: URL { testsDirectory().appendingPathComponent("Fixtures") }

    static func fixture(_ name: String) throws -> String {
        try String(contentsOf: fixtures.appendingPathComponent(name), encoding: .utf8)
    }

    static func render(_ tree: FlameTree, _ configure: (inout FlameGraphOptions) -> Void = { _ in }) throws -> String {
        var options = FlameGraphOptions()
        configure(&options)
        return String(decoding: try FlameGraphSVG.render(tree, options: options), as: UTF8.self)
    }

    static let xmllintPath = "/usr/bin/xmllint"

    /// Runs `xmllint --noout` on `svg`. Returns nil when xmllint is not installed outside
    /// CI (the caller then skips the check); under CI a missing xmllint is a failure.
    static func xmllint(_ svg: [UInt8]) throws -> (status: Int32, errors: String)? {
        guard FileManager.default.isExecutableFile(atPath: xmllintPath) else {
            if ProcessInfo.processInfo.environment["CI"] != nil {
                Issue.record("xmllint is missing at \(xmllintPath); CI must install libxml2-utils")
            }
            return nil
        }
        let file = FileManager.default.temporaryDirectory
            .appendingPathComponent("flamewire-\(UUID().uuidString).svg")
        try Data(svg).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: xmllintPath)
        p.arguments = ["--noout", "--nonet", file.path]
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let data = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// One drawn frame as read back from the SVG markup.
    struct Frame {
        var x: Int64
        var w: Int64
        var name: String
        var details: String
        var rectX: Double
        var rectY: Double
        var rectWidth: Double
        var fill: String
        var label: String?
    }

    /// The frames of an SVG, in document order (parsed with plain string scanning; the
    /// writer's markup is regular).
    static func frames(_ svg: String) -> [Frame] {
        var out: [Frame] = []
        var rest = svg[...]
        func attr(_ s: Substring, _ name: String) -> Substring? {
            guard let r = s.range(of: " \(name)=\"") else { return nil }
            let v = s[r.upperBound...]
            return v[..<v.firstIndex(of: "\"")!]
        }
        while let r = rest.range(of: "<g fw:v=\"") {
            let end = rest[r.upperBound...].range(of: "</g>")!
            let g = rest[r.lowerBound..<end.upperBound]
            rest = rest[end.upperBound...]
            let v = attr(g, "fw:v")!.split(separator: " ")
            let title = g[g.range(of: "<title>")!.upperBound..<g.range(of: "</title>")!.lowerBound]
            let lines = title.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
            let rect = g[g.range(of: "<rect")!.lowerBound...]
            var label: String? = nil
            if let t = g.range(of: "<text") {
                let body = g[t.upperBound...]
                let open = body.firstIndex(of: ">")!
                label = String(body[body.index(after: open)..<body.range(of: "</text>")!.lowerBound])
            }
            out.append(
                Frame(
                    x: Int64(v[0])!, w: Int64(v[1])!, name: String(lines[0]),
                    details: lines.count > 1 ? String(lines[1]) : "",
                    rectX: Double(attr(rect, "x")!)!, rectY: Double(attr(rect, "y")!)!,
                    rectWidth: Double(attr(rect, "width")!)!, fill: String(attr(rect, "fill")!), label: label))
        }
        return out
    }

    /// Folded text for `count` stacks below `fanout` top-level functions, each with a
    /// distinct leaf: a wide, flat tree.
    static func syntheticFolded(count: Int, fanout: Int = 1000) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count * 32)
        for i in 0..<count {
            out.append(contentsOf: "main;module\(i % fanout);leaf_function_\(i) 1\n".utf8)
        }
        return out
    }

    static func tree(bytes: [UInt8], valueType: ValueType = samples) throws -> FlameTree {
        var builder = FlameTreeBuilder(valueType: valueType)
        var failure: FoldedError?
        bytes.withUnsafeBytes { raw in
            do throws(FoldedError) {
                try builder.addFolded(bytes: raw)
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        return builder.build()
    }
}
