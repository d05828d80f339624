// Disk roles by content. See kettle/disk/roles.hpp and docs/formats.md §0.
#include "kettle/disk/roles.hpp"

#include <algorithm>
#include <cstring>


namespace kettle {

namespace {

// POSIX ustar header: name[100] at 0, chksum[8] at 148 (octal, the sum of all 512 bytes with the checksum
// field taken as spaces), typeflag at 156, magic "ustar" at 257.
bool is_request_header(ByteView h) {
    if (std::memcmp(h.data() + 257, "ustar", 5) != 0) return false;
    const char type = static_cast<char>(h[156]);
    if (type != '0' && type != '\0') return false;
    const std::string_view name(reinterpret_cast<const char*>(h.data()), strnlen(reinterpret_cast<const char*>(h.data()), 100));
    if (name != "request.json" && name != "./request.json") return false;
    std::uint32_t want = 0;
    int digits = 0;
    for (std::size_t i = 148; i < 156; ++i) {
        const char c = static_cast<char>(h[i]);
        if (c >= '0' && c <= '7') {
            want = want * 8 + static_cast<std::uint32_t>(c - '0');
            ++digits;
        } else if ((c == ' ' || c == '\0') && digits > 0) {
            break;
        } else if (c != ' ') {
            return false;
        }
    }
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i < 512; ++i) sum += (i >= 148 && i < 156) ? ' ' : h[i];
    return digits > 0 && sum == want;
}

}  // namespace

const char* disk_role_name(DiskRole r) {
    switch (r) {
        case DiskRole::input: return "input";
        case DiskRole::output: return "output";
        default: return "unknown";
    }
}

Bytes blank_output_label() {
    Bytes l(kBlankOutputLabelSize, 0);
    std::memcpy(l.data(), kBlankOutputMagic, 16);
    l[16] = 1;  // version, u32 little-endian
    return l;
}

DiskRole classify_disk(ByteView head) {
    if (head.size() < 512) return DiskRole::unknown;
    const ByteView h = head.first(512);
    const Bytes label = blank_output_label();
    if (std::equal(h.begin(), h.end(), label.begin())) return DiskRole::output;
    if (is_request_header(h)) return DiskRole::input;
    return DiskRole::unknown;
}

DiskChoice choose_disks(const std::vector<ProbedDisk>& disks) {
    DiskChoice c;
    for (DiskRole role : {DiskRole::input, DiskRole::output}) {
        std::vector<std::string> claim;
        for (const auto& d : disks)
            if (d.role == role) claim.push_back(d.name);
        std::string& name = role == DiskRole::input ? c.input : c.output;
        std::string& error = role == DiskRole::input ? c.input_error : c.output_error;
        if (claim.size() == 1) {
            name = claim[0];
        } else if (claim.empty()) {
            error = role == DiskRole::input
                        ? "disks: no input disk (a block device that starts with the tar header of request.json)"
                        : "disks: no output disk (a block device that starts with the KETTLE-BLANK-OUT label)";
        } else {
            std::string list;
            for (const auto& n : claim) list += (list.empty() ? "" : ", ") + n;
            error = std::string("disks: ") + std::to_string(claim.size()) + " devices look like the " +
                    disk_role_name(role) + " disk (" + list + "); refusing to choose";
        }
    }
    return c;
}

}  // namespace kettle
