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
        case DiskRole::toolchain: return "toolchain";
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
    // EROFS superblock at 1024: le32 magic 0xE0F5E1E2 (Linux fs/erofs/erofs_fs.h).
    static constexpr std::uint8_t kErofsMagic[4] = {0xE2, 0xE1, 0xF5, 0xE0};
    if (head.size() >= 1028 && std::memcmp(head.data() + 1024, kErofsMagic, 4) == 0) return DiskRole::toolchain;
    return DiskRole::unknown;
}

namespace {

/// The one device claiming `role`, or "" with `error` set: "" error too when none claims an optional role.
std::string choose_role(const std::vector<ProbedDisk>& disks, DiskRole role, const char* missing, std::string& error) {
    std::vector<std::string> claim;
    for (const auto& d : disks)
        if (d.role == role) claim.push_back(d.name);
    if (claim.size() == 1) return claim[0];
    if (claim.empty()) {
        if (missing) error = missing;
        return {};
    }
    std::string list;
    for (const auto& n : claim) list += (list.empty() ? "" : ", ") + n;
    error = std::string("disks: ") + std::to_string(claim.size()) + " devices look like the " + disk_role_name(role) +
            " disk (" + list + "); refusing to choose";
    return {};
}

}  // namespace

DiskChoice choose_disks(const std::vector<ProbedDisk>& disks) {
    DiskChoice c;
    c.input = choose_role(disks, DiskRole::input,
                          "disks: no input disk (a block device that starts with the tar header of request.json)",
                          c.input_error);
    c.output = choose_role(disks, DiskRole::output,
                           "disks: no output disk (a block device that starts with the KETTLE-BLANK-OUT label)",
                           c.output_error);
    c.toolchain = choose_role(disks, DiskRole::toolchain, nullptr, c.toolchain_error);
    return c;
}

}  // namespace kettle
