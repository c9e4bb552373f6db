import Compression
import SansIO
import WireCodec
import WireFrame
import WireLimits

/// What one authenticated symbol did at the receiver.
public enum ReceiveEvent: Sendable {
    /// The symbol completed its bundle: what became of each window in it, in directory order.
    case bundle(UInt32, windows: [WindowOutcome], packetNumber: UInt64)
    /// Stored; the bundle still lacks `missing` symbols.
    case progress(UInt32, missing: Int, packetNumber: UInt64)
    /// A symbol already held, or of a bundle already rebuilt.
    case duplicate(UInt32, packetNumber: UInt64)
    /// The datagram was dropped (or the bundle it completed had a bad directory); counted
    /// in `dropped`.
    case dropped(FrameError)
}

/// What became of one window of a rebuilt bundle.
public enum WindowOutcome: Sendable {
    /// Decoded. `window.isDuplicate` is true when the stream held it already (a
    /// retransmitted keyframe, say).
    case decoded(DecodedWindow, WindowAddress)
    /// Not decoded; counted in `rejected`.
    case rejected(WindowAddress, WindowRejection)

    public var address: WindowAddress {
        switch self {
        case .decoded(_, let a), .rejected(let a, _): return a
        }
    }
}

/// Why a rebuilt window was not decoded.
public enum WindowRejection: Error, Equatable, Sendable, CustomStringConvertible {
    case decode(WireError)
    case badCompression(String)

    public var reason: RejectReason {
        switch self {
        case .decode(let e): return e.reason
        case .badCompression: return .badCompression
        }
    }

    /// The base the receiver lacks, when that is why (the sender then sends a keyframe).
    public var unknownBase: UInt32? {
        if case .decode(.unknownBase(let s)) = self { return s }
        return nil
    }

    public var description: String {
        switch self {
        case .decode(let e): return "\(e)"
        case .badCompression(let why): return "window does not decompress: \(why)"
        }
    }
}

/// The receive path of one authenticated peer, as one library type: symbols in,
/// reassembly and FEC, the bundle directory, bounded unsnappy, the address check and the
/// stream decoders, and decoded windows out (SPEC.md §4.5, §6). The session opens
/// datagrams before they get here.
public struct WindowReceiver: Sendable {
    public var reassembler = Reassembler()
    private var decoders: [UInt32: StreamDecoder] = [:]
    /// Rebuilt windows that were not decoded, by reason.
    public private(set) var rejected: [RejectReason: Int] = [:]

    public init() {}

    /// Datagrams dropped, by reason (including the ones the session counted here).
    public var dropped: [DropReason: Int] { reassembler.dropped }
    public var streams: [UInt32] { decoders.keys.sorted() }
    public func decoder(_ stream: UInt32) -> StreamDecoder? { decoders[stream] }
    /// The stream's dictionary, without copying the whole decoder as `decoder(stream)?.dictionary` does.
    public func dictionary(_ stream: UInt32) -> WireDictionary? {
        guard let i = decoders.index(forKey: stream) else { return nil }
        return decoders.values[i].dictionary
    }

    /// Takes one authenticated symbol of a DATA datagram.
    public mutating func receive(_ header: DatagramHeader, symbol: ArraySlice<UInt8>, at now: Instant) -> ReceiveEvent {
        switch reassembler.receive(header, symbol: symbol, at: now) {
        case .dropped(let e): return .dropped(e)
        case .duplicate(let id, let pn): return .duplicate(id, packetNumber: pn)
        case .progress(let id, let m, let pn): return .progress(id, missing: m, packetNumber: pn)
        case .bundle(let id, let bytes, let pn):
            let windows: [ArraySlice<UInt8>], directory: BundleDirectory
            do { (directory, windows) = try BundleDirectory.parse(bytes) } catch {
                reassembler.count(error)
                return .dropped(error)
            }
            // Each window on its own, in directory order: one that fails leaves the others.
            var out: [WindowOutcome] = []
            out.reserveCapacity(windows.count)
            for (entry, compressed) in zip(directory.entries, windows) {
                let a = entry.address
                switch decode(a, compressed) {
                case .success(let w): out.append(.decoded(w, a))
                case .failure(let r):
                    rejected[r.reason, default: 0] += 1
                    out.append(.rejected(a, r))
                }
            }
            return .bundle(id, windows: out, packetNumber: pn)
        }
    }

    private mutating func decode(_ a: WindowAddress, _ compressed: ArraySlice<UInt8>) -> Result<DecodedWindow, WindowRejection> {
        let payload: [UInt8]
        do { payload = try Snappy.decompress(compressed, limit: WireLimits.maxPayload) } catch {
            return .failure(.badCompression("\(error)"))
        }
        do {
            guard decoders[a.stream] != nil else {
                // A new stream is kept only once its first window decodes.
                var d = StreamDecoder()
                let w = try d.decode(payload, expecting: (a.stream, a.seq))
                decoders[a.stream] = d
                return .success(w)
            }
            // Decoded in place: a copy of the decoder would copy its dictionary per window.
            // A window rejected half way leaves only valid, unreferenced entries (SPEC.md §4.5).
            return .success(try decoders[a.stream]!.decode(payload, expecting: (a.stream, a.seq)))
        } catch {
            return .failure(.decode(error))
        }
    }
}
