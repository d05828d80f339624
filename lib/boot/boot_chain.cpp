// A measured-boot event log against the prediction of our image. See kettle/boot/boot_chain.hpp.
#include "kettle/boot/boot_chain.hpp"

#include <algorithm>

#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"

namespace kettle::boot {

namespace {

std::string short_hex(const Bytes* d) { return d ? hex(*d).substr(0, 16) + "…" : "(none)"; }

std::string describe(const TcgEvent& e, std::uint16_t alg) {
    return event_type_name(e.event_type) + " " + tpm_alg_name(alg) + " " + short_hex(e.digest(alg));
}

std::string describe(const BootEvent& e, std::uint16_t alg) {
    auto d = e.digests.find(alg);
    return event_type_name(e.event_type) + " " + tpm_alg_name(alg) + " " +
           short_hex(d == e.digests.end() ? nullptr : &d->second) + " (" + e.what + ")";
}

// The counted records of `log` that extend register `number`, in log order.
std::vector<const TcgEvent*> logged_for(const EventLog& log, std::uint32_t number,
                                        const std::function<std::optional<std::uint32_t>(std::uint32_t)>& register_of) {
    std::vector<const TcgEvent*> out;
    for (const TcgEvent& e : log.events) {
        if (e.event_type == kEvNoAction) continue;
        if (auto r = register_of(e.index); r && *r == number) out.push_back(&e);
    }
    return out;
}

bool same_event(const TcgEvent& logged, const BootEvent& predicted, std::uint16_t alg) {
    const Bytes* d = logged.digest(alg);
    auto p = predicted.digests.find(alg);
    return d && p != predicted.digests.end() && logged.event_type == predicted.event_type && equal_ct(*d, p->second);
}

constexpr std::uint32_t kEvSCrtmVersion = 0x8;
constexpr std::uint32_t kEvEfiVariableDriverConfig = 0x80000001, kEvEfiVariableBoot = 0x80000002;
constexpr std::uint32_t kEvEfiVariableAuthority = 0x800000E0;

// The bytes a record's digest covers, for the types whose digest is over (part of) the event data; nullopt otherwise.
std::optional<ByteView> digested_part(const TcgEvent& e) {
    const ByteView d(e.data);
    switch (e.event_type) {
        case kEvSCrtmVersion: case kEvSeparator: case kEvEfiAction: case kEvEfiGptEvent:
        case kEvEfiVariableDriverConfig: case kEvEfiVariableAuthority:
            return d;
        case kEvEfiVariableBoot: {
            if (d.size() < 32) throw Error("event log: EV_EFI_VARIABLE_BOOT data shorter than 32 bytes");
            const std::uint64_t name_units = le64(d, 16), data_len = le64(d, 24);
            if (name_units > d.size() / 2 || data_len > d.size() || 32 + 2 * name_units + data_len > d.size())
                throw Error("event log: EV_EFI_VARIABLE_BOOT lengths run past its event data");
            return d.subspan(32 + 2 * name_units, data_len);
        }
        default: return std::nullopt;
    }
}

}  // namespace

std::size_t check_event_data(const EventLog& log) {
    std::size_t checked = 0;
    for (std::size_t i = 0; i < log.events.size(); ++i) {
        const TcgEvent& e = log.events[i];
        if (e.event_type == kEvNoAction) continue;
        const auto part = digested_part(e);
        if (!part) continue;
        for (const auto& [alg, digest] : e.digests) {
            if (alg != kTpmAlgSha256 && alg != kTpmAlgSha384 && alg != kTpmAlgSha512) continue;
            Hasher h(hash_alg_of(alg));
            h.update(*part);
            if (!equal_ct(h.finish(), digest))
                throw Error("event log: record " + std::to_string(i) + " (" + event_type_name(e.event_type) + ", index " +
                            std::to_string(e.index) + "): its " + tpm_alg_name(alg) + " digest is not the hash of its event data");
        }
        ++checked;
    }
    return checked;
}

std::string match_predicted_events(const EventLog& log, std::uint16_t alg,
                                   const std::function<std::optional<std::uint32_t>(std::uint32_t)>& register_of,
                                   const std::vector<ExpectedRegister>& expected) {
    std::string detail;
    for (const ExpectedRegister& reg : expected) {
        const auto logged = logged_for(log, reg.number, register_of);
        const std::size_t n = reg.events.size();
        for (std::size_t i = 0; i < std::max(n, logged.size()); ++i) {
            const std::string at = reg.name + " event " + std::to_string(i + 1) + " of " + std::to_string(n) + " predicted: ";
            if (i >= logged.size())
                throw Error(at + "missing from the log (predicted " + describe(*reg.events[i], alg) + ")");
            if (i >= n)
                throw Error(reg.name + ": the log extends an event the image does not account for, after the " +
                            std::to_string(n) + " predicted: " + describe(*logged[i], alg));
            if (!same_event(*logged[i], *reg.events[i], alg))
                throw Error(at + "logged " + describe(*logged[i], alg) + ", predicted " + describe(*reg.events[i], alg));
        }
        detail += (detail.empty() ? "" : ", ") + reg.name + " " + std::to_string(n) + " events";
    }
    return detail + " as predicted";
}

std::uint16_t tpm_check_bank(const EventLog& log) {
    for (std::uint16_t alg : {kTpmAlgSha256, kTpmAlgSha384, kTpmAlgSha512})
        for (const LogAlgorithm& a : log.algorithms)
            if (a.id == alg) return alg;
    throw Error("event log: no SHA-256, SHA-384 or SHA-512 bank (a SHA-1-only log cannot be checked)");
}

std::vector<ExpectedRegister> tpm_image_registers(const BootPrediction& p) {
    std::vector<ExpectedRegister> out;
    for (std::uint32_t pcr : kPredictedPcrs) {
        ExpectedRegister r{pcr, "PCR" + std::to_string(pcr), {}};
        for (const BootEvent& e : p.events)
            if (e.tpm && e.pcr == pcr) r.events.push_back(&e);
        out.push_back(std::move(r));
    }
    return out;
}

std::string check_tpm_replay(const EventLog& log, std::uint16_t alg, const std::map<std::uint32_t, Bytes>& pcrs,
                             const std::vector<std::uint32_t>& required) {
    for (std::uint32_t r : required)
        if (!pcrs.count(r)) throw Error("PCR" + std::to_string(r) + " (" + tpm_alg_name(alg) + ") was not given");
    const auto replayed = replay(log, alg);
    const Bytes zero(digest_size(hash_alg_of(alg)), 0);
    std::size_t n = 0;
    for (const auto& [index, value] : pcrs) {
        if (index > 15 || index == 10) continue;
        auto it = replayed.find(index);
        const Bytes& want = it == replayed.end() ? zero : it->second;
        if (value.size() != want.size())
            throw Error("PCR" + std::to_string(index) + " is " + std::to_string(value.size()) + " bytes, not a " +
                        tpm_alg_name(alg) + " value");
        if (!equal_ct(value, want))
            throw Error("PCR" + std::to_string(index) + " " + tpm_alg_name(alg) + " " + hex(value) +
                        " != the log's replay " + hex(want));
        ++n;
    }
    return std::to_string(n) + " PCRs (" + tpm_alg_name(alg) + ") equal the log's replay";
}

}  // namespace kettle::boot
