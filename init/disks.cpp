// Disks by content. See disks.hpp.
#include "disks.hpp"

#include <algorithm>
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>
#include <vector>

#include "kettle/core/error.hpp"

namespace kettle::init {

namespace {

constexpr std::size_t kMaxDisks = 64;

bool is_virtual(const std::string& n) {
    for (const char* p : {"loop", "ram", "zram", "dm-", "md", "sr", "fd", "nbd"})
        if (n.rfind(p, 0) == 0) return true;
    return false;
}

/// The first kDiskProbeBytes of a device (fewer when it is shorter or unreadable: then it is "unknown").
Bytes probe(const std::string& path) {
    Bytes b(kDiskProbeBytes);
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) return {};
    std::size_t got = 0;
    while (got < b.size()) {
        const ssize_t n = ::pread(fd, b.data() + got, b.size() - got, static_cast<off_t>(got));
        if (n <= 0) break;
        got += static_cast<std::size_t>(n);
    }
    ::close(fd);
    b.resize(got);
    return b;
}

std::vector<std::string> whole_disks(const std::string& sys_block) {
    std::vector<std::string> names;
    DIR* d = ::opendir(sys_block.c_str());
    if (!d) throw Error("disks: cannot list " + sys_block);
    while (dirent* de = ::readdir(d)) {
        const std::string n = de->d_name;
        if (n.empty() || n[0] == '.' || is_virtual(n)) continue;
        if (names.size() >= kMaxDisks) {
            ::closedir(d);
            throw Error("disks: more than 64 block devices attached");
        }
        names.push_back(n);
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());  // stable messages; the choice never depends on order
    return names;
}

}  // namespace

FoundDisks find_kettle_disks(const std::string& sys_block, const std::string& dev_dir) {
    std::vector<ProbedDisk> probed;
    std::string seen;
    for (const auto& n : whole_disks(sys_block)) {
        const DiskRole r = classify_disk(probe(dev_dir + "/" + n));
        probed.push_back({n, r});
        seen += (seen.empty() ? "" : ", ") + n + " (" + disk_role_name(r) + ")";
    }
    FoundDisks f{choose_disks(probed), "disks: " + (seen.empty() ? std::string("none") : seen)};
    if (!f.choice.input.empty()) f.choice.input = dev_dir + "/" + f.choice.input;
    if (!f.choice.output.empty()) f.choice.output = dev_dir + "/" + f.choice.output;
    if (!f.choice.toolchain.empty()) f.choice.toolchain = dev_dir + "/" + f.choice.toolchain;
    return f;
}

}  // namespace kettle::init
