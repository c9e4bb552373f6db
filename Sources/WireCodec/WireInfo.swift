import WireLimits
import Profile

/// Converting `StreamInfo` to and from its wire message.
enum WireInfo {
    static func message(_ i: StreamInfo) -> Flamewire_Wire_StreamInfo {
        var m = Flamewire_Wire_StreamInfo()
        m.service = i.service
        m.profileType = i.profileType
        m.labels = i.labels.keys.sorted().map { k in
            var l = Flamewire_Wire_StreamLabel()
            l.key = k
            l.value = i.labels[k]!
            return l
        }
        m.columns = i.columns.map { c in
            var v = Flamewire_Wire_ValueType()
            v.type = c.type
            v.unit = c.unit
            return v
        }
        m.columnKinds = i.columnKinds.map(\.rawValue)
        if let pt = i.periodType {
            var v = Flamewire_Wire_ValueType()
            v.type = pt.type
            v.unit = pt.unit
            m.periodType = v
        }
        m.period = i.period
        m.defaultSampleType = i.defaultSampleType
        return m
    }

    static func info(_ m: Flamewire_Wire_StreamInfo) throws(WireError) -> StreamInfo {
        guard m.columnKinds.count == m.columns.count else {
            throw .malformedPayload("stream info has \(m.columns.count) columns but \(m.columnKinds.count) column kinds")
        }
        guard !m.columns.isEmpty else { throw .malformedPayload("stream info has no columns") }
        guard m.columns.count <= WireLimits.maxColumns else {
            throw .tooLarge(field: "columns", count: m.columns.count, limit: WireLimits.maxColumns)
        }
        var kinds: [StreamInfo.ColumnKind] = []
        for k in m.columnKinds {
            guard let kind = StreamInfo.ColumnKind(rawValue: k) else { throw .malformedPayload("unknown column kind \(k)") }
            kinds.append(kind)
        }
        var labels: [String: String] = [:]
        for l in m.labels { labels[l.key] = l.value }
        return StreamInfo(
            service: m.service, profileType: m.profileType, labels: labels,
            columns: m.columns.map { ValueType(type: $0.type, unit: $0.unit) }, columnKinds: kinds,
            periodType: m.hasPeriodType ? ValueType(type: m.periodType.type, unit: m.periodType.unit) : nil,
            period: m.period, defaultSampleType: m.defaultSampleType)
    }
}

extension StreamInfo {
    /// The info as its wire message's bytes (`flamewire.wire.StreamInfo`): how a store keeps it.
    public func serializedBytes() -> [UInt8] {
        // Serialising a message with only strings and integers cannot fail.
        (try? WireInfo.message(self).serializedBytes()) ?? []
    }

    /// An info from `serializedBytes()`, checked as a keyframe's info is (SPEC.md §5).
    public init(serializedBytes bytes: [UInt8]) throws(WireError) {
        let m: Flamewire_Wire_StreamInfo
        do { m = try Flamewire_Wire_StreamInfo(serializedBytes: bytes) } catch { throw .malformedPayload("stream info: \(error)") }
        self = try WireInfo.info(m)
    }
}
