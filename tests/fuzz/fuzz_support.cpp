// Helpers of tests/fuzz/fuzz.hpp (linked into every target, not a target itself).
#include "fuzz.hpp"

#include <filesystem>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

namespace kettle::fuzz {

namespace {
struct Remover {
    std::vector<std::string> dirs;
    ~Remover() {
        std::error_code ec;
        for (const auto& d : dirs) std::filesystem::remove_all(d, ec);
    }
};
Remover& removals() {
    static Remover r;
    return r;
}
}  // namespace

std::string scratch_dir(const char* tag) {
    std::string base = "/dev/shm";
    if (::access(base.c_str(), W_OK) != 0) {
        const char* t = std::getenv("TMPDIR");
        base = t && *t ? t : "/tmp";
    }
    std::string tmpl = base + "/kettle-fuzz-" + tag + "-XXXXXX";
    std::vector<char> b(tmpl.begin(), tmpl.end());
    b.push_back('\0');
    if (!::mkdtemp(b.data())) fail(__FILE__, __LINE__, "mkdtemp", tmpl);
    removals().dirs.push_back(b.data());
    return b.data();
}

void empty_dir(const std::string& dir) {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) std::filesystem::remove_all(e.path(), ec);
}

int memfd_with(ByteView data) {
    int fd = ::memfd_create("kettle-fuzz", MFD_CLOEXEC);
    if (fd < 0) fail(__FILE__, __LINE__, "memfd_create", "");
    std::size_t off = 0;
    while (off < data.size()) {
        ssize_t n = ::write(fd, data.data() + off, data.size() - off);
        if (n <= 0) fail(__FILE__, __LINE__, "write to memfd", "");
        off += static_cast<std::size_t>(n);
    }
    if (::lseek(fd, 0, SEEK_SET) != 0) fail(__FILE__, __LINE__, "lseek", "");
    return fd;
}

}  // namespace kettle::fuzz
