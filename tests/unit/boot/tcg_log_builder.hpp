// Builders of TCG2 crypto-agile event logs for the unit tests (TCG PC Client PFP 1.05 §10.2): the first record
// carrying "Spec ID Event03", then TCG_PCR_EVENT2 records. All integers little-endian.
#pragma once
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include "kettle/boot/eventlog.hpp"
#include "kettle/core/bytes.hpp"

namespace kettle::test {

/// The first record (TCG_PCClientPCREvent carrying Spec ID Event03) listing `algs` {id, size}.
inline Bytes spec_id(const std::vector<std::pair<std::uint16_t, std::uint16_t>>& algs) {
    Bytes spec(16, 0);
    std::memcpy(spec.data(), "Spec ID Event03", 15);
    put_le32(spec, 0);                       // platformClass
    spec.insert(spec.end(), {0, 2, 0, 2});   // version minor 0, major 2, errata 0, uintnSize 2
    put_le32(spec, static_cast<std::uint32_t>(algs.size()));
    for (auto [id, size] : algs) {
        put_le16(spec, id);
        put_le16(spec, size);
    }
    spec.push_back(0);  // vendorInfoSize
    Bytes out;
    put_le32(out, 0);
    put_le32(out, boot::kEvNoAction);
    out.resize(out.size() + 20, 0);
    put_le32(out, static_cast<std::uint32_t>(spec.size()));
    out.insert(out.end(), spec.begin(), spec.end());
    return out;
}

/// Append one TCG_PCR_EVENT2 record.
inline void event2(Bytes& log, std::uint32_t index, std::uint32_t type,
                   const std::vector<std::pair<std::uint16_t, Bytes>>& d, const Bytes& data) {
    put_le32(log, index);
    put_le32(log, type);
    put_le32(log, static_cast<std::uint32_t>(d.size()));
    for (const auto& [id, v] : d) {
        put_le16(log, id);
        log.insert(log.end(), v.begin(), v.end());
    }
    put_le32(log, static_cast<std::uint32_t>(data.size()));
    log.insert(log.end(), data.begin(), data.end());
}

}  // namespace kettle::test
