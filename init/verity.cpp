// PID 1's toolchain disk through dm-verity (see verity.hpp). Device-mapper ioctls: DM_DEV_CREATE, DM_TABLE_LOAD
// (one read-only "verity" target), DM_DEV_SUSPEND without DM_SUSPEND_FLAG (= resume, which makes the table live)
// and DM_TABLE_STATUS; layouts from linux/dm-ioctl.h, semantics from Linux drivers/md/dm-ioctl.c and
// Documentation/admin-guide/device-mapper/verity.rst. Every buffer has a fixed size: nothing is sized by the host.
#include "verity.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <linux/dm-ioctl.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "kettle/core/error.hpp"
#include "kettle/disk/format.hpp"

namespace kettle::init {

namespace {

constexpr const char* kMappedNode = "/dev/kettle-toolchain";

struct Fd {
    int fd;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

/// A struct dm_ioctl header for `name` in a zeroed buffer of `size` bytes (at least the header).
Bytes dm_header(const std::string& name, std::size_t size, std::uint32_t flags) {
    if (name.empty() || name.size() >= DM_NAME_LEN) throw Error("toolchain: device-mapper name too long");
    Bytes buf(std::max(size, sizeof(dm_ioctl)), 0);
    auto* io = reinterpret_cast<dm_ioctl*>(buf.data());
    io->version[0] = DM_VERSION_MAJOR;  // 4; minor 0 and patch 0: any 4.x kernel interface accepts it
    io->data_size = static_cast<std::uint32_t>(buf.size());
    io->data_start = sizeof(dm_ioctl);
    io->flags = flags;
    std::memcpy(io->name, name.data(), name.size());
    return buf;
}

void dm_call(int ctl, unsigned long cmd, Bytes& buf, const char* what) {
    if (::ioctl(ctl, cmd, buf.data()) != 0)
        throw Error(std::string("toolchain: device-mapper ") + what + ": " + std::strerror(errno));
}

int open_control() {
    int fd = ::open("/dev/mapper/control", O_RDWR | O_CLOEXEC);
    if (fd < 0) throw Error(std::string("toolchain: /dev/mapper/control: ") + std::strerror(errno));
    return fd;
}

/// Create the dm device, load the verity table over `disk_dev` and resume it. Returns the dm device number.
dev_t create_verity_device(const ToolchainImageRef& ref, dev_t disk_dev) {
    Fd ctl{open_control()};
    Bytes create = dm_header(kToolchainDmName, 0, 0);
    dm_call(ctl.fd, DM_DEV_CREATE, create, "create");
    std::string dev = std::to_string(major(disk_dev)) + ":" + std::to_string(minor(disk_dev));
    std::uint64_t sectors = ref.data_blocks * (kVerityBlockSize / 512);
    Bytes load = dm_table_load_buffer(kToolchainDmName, sectors, "verity", verity_target_params(ref, dev));
    dm_call(ctl.fd, DM_TABLE_LOAD, load, "load the verity table");
    Bytes resume = dm_header(kToolchainDmName, 0, 0);
    dm_call(ctl.fd, DM_DEV_SUSPEND, resume, "resume");
    const auto* io = reinterpret_cast<const dm_ioctl*>(resume.data());
    // dm-ioctl.c reports the device number with huge_encode_dev; for major < 4096 it is the same as makedev.
    return static_cast<dev_t>(io->dev);
}

/// Read block 0 through the verity device: with a wrong root hash (or a changed block 0) this fails with EIO.
/// O_DIRECT: exactly this block is read, no readahead of neighbouring blocks the build may never use (a
/// readahead that hit a tampered block would mark the device corrupted although nobody read that block).
void probe_block0(const ToolchainDisk& tc) {
    Fd fd{::open(tc.mapped.c_str(), O_RDONLY | O_CLOEXEC | O_DIRECT)};
    if (fd.fd < 0) throw Error("toolchain: " + tc.mapped + ": " + std::strerror(errno));
    alignas(kVerityBlockSize) static char block[kVerityBlockSize];
    ssize_t n;
    do n = ::pread(fd.fd, block, sizeof block, 0);
    while (n < 0 && errno == EINTR);
    if (n == static_cast<ssize_t>(sizeof block)) return;
    std::string why = n < 0 ? std::strerror(errno) : "short read";
    throw Error("toolchain-integrity: the toolchain disk " + tc.disk + " does not match the root hash " +
                hex(tc.ref.root_hash) + " named in the request (reading block 0 through dm-verity: " + why + ")");
}

/// The last kernel log line of dm-verity reporting a corrupted block, cut to 200 printable bytes, or "".
std::string last_verity_log_line() {
    static char buf[1 << 18];  // the kernel's ring buffer is 2^CONFIG_LOG_BUF_SHIFT bytes; its tail is enough
    int n = ::klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, sizeof buf);
    if (n <= 0) return {};
    std::string_view log(buf, static_cast<std::size_t>(n));
    std::string found;
    for (std::size_t pos = 0; pos < log.size();) {
        std::size_t nl = log.find('\n', pos);
        if (nl == std::string_view::npos) nl = log.size();
        std::string_view line = log.substr(pos, nl - pos);
        if (line.find("verity") != std::string_view::npos && line.find("is corrupted") != std::string_view::npos)
            found.assign(line.substr(line.find("device-mapper") == std::string_view::npos ? 0 : line.find("device-mapper")));
        pos = nl + 1;
    }
    if (found.size() > 200) found.resize(200);
    for (char& c : found)
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) c = '?';
    return found;
}

}  // namespace

Bytes dm_table_load_buffer(const std::string& name, std::uint64_t sectors, const std::string& target,
                           const std::string& params) {
    if (target.empty() || target.size() >= DM_MAX_TYPE_NAME) throw Error("toolchain: bad device-mapper target type");
    if (params.find('\0') != std::string::npos) throw Error("toolchain: NUL in the device-mapper table");
    std::size_t spec_and_params = (sizeof(dm_target_spec) + params.size() + 1 + 7) / 8 * 8;
    Bytes buf = dm_header(name, sizeof(dm_ioctl) + spec_and_params, DM_READONLY_FLAG);
    auto* io = reinterpret_cast<dm_ioctl*>(buf.data());
    io->target_count = 1;
    auto* spec = reinterpret_cast<dm_target_spec*>(buf.data() + sizeof(dm_ioctl));
    spec->sector_start = 0;
    spec->length = sectors;
    spec->next = static_cast<std::uint32_t>(spec_and_params);
    std::memcpy(spec->target_type, target.data(), target.size());
    std::memcpy(buf.data() + sizeof(dm_ioctl) + sizeof(dm_target_spec), params.data(), params.size());
    return buf;
}

ToolchainDisk open_toolchain_image(const ToolchainImageRef& ref, const std::string& disk, const std::string& mountpoint) {
    ToolchainDisk tc;
    tc.ref = ref;
    tc.disk = disk;
    tc.mapped = kMappedNode;
    tc.mountpoint = mountpoint;
    struct stat st {};
    {
        Fd fd{::open(disk.c_str(), O_RDONLY | O_CLOEXEC)};
        if (fd.fd < 0) throw Error("toolchain: the toolchain disk " + disk + ": " + std::strerror(errno));
        if (::fstat(fd.fd, &st) != 0 || !S_ISBLK(st.st_mode)) throw Error("toolchain: " + disk + " is not a block device");
        tc.disk_bytes = fd_size(fd.fd, "toolchain: " + disk);
    }
    std::uint64_t need = toolchain_image_bytes(ref.data_blocks);
    if (tc.disk_bytes < need)
        throw Error("toolchain-integrity: the toolchain disk " + disk + " holds " + std::to_string(tc.disk_bytes) +
                    " bytes, less than the " + std::to_string(need) + " bytes of the image the request names");
    dev_t mapped = create_verity_device(ref, st.st_rdev);
    ::unlink(kMappedNode);
    if (::mknod(kMappedNode, S_IFBLK | 0400, mapped) != 0)
        throw Error(std::string("toolchain: mknod ") + kMappedNode + ": " + std::strerror(errno));
    probe_block0(tc);
    ::mkdir(mountpoint.c_str(), 0755);
    if (::mount(kMappedNode, mountpoint.c_str(), "erofs", MS_RDONLY | MS_NOSUID | MS_NODEV, nullptr) != 0) {
        std::string why = std::strerror(errno);
        if (toolchain_corrupted()) throw Error(toolchain_integrity_error(tc));
        throw Error("toolchain: mounting the image (erofs, read-only): " + why +
                    " (the root hash matched, so the image itself is not an EROFS filesystem this kernel reads)");
    }
    return tc;
}

bool toolchain_corrupted() {
    Fd ctl{open_control()};
    Bytes buf = dm_header(kToolchainDmName, 16384, 0);  // flags 0: STATUSTYPE_INFO
    dm_call(ctl.fd, DM_TABLE_STATUS, buf, "status");
    const auto* io = reinterpret_cast<const dm_ioctl*>(buf.data());
    if (io->flags & DM_BUFFER_FULL_FLAG) throw Error("toolchain: device-mapper status: buffer full");
    if (io->target_count != 1 || io->data_start < sizeof(dm_ioctl) ||
        io->data_start + sizeof(dm_target_spec) + 2 > buf.size())
        throw Error("toolchain: device-mapper status: unexpected reply");
    const char* status = reinterpret_cast<const char*>(buf.data() + io->data_start + sizeof(dm_target_spec));
    // Linux dm-verity verity_status(), STATUSTYPE_INFO: "V" (verified so far) or "C" (a block was corrupted).
    if (status[0] == 'C') return true;
    if (status[0] == 'V') return false;
    throw Error("toolchain: device-mapper status: neither V nor C");
}

std::string toolchain_integrity_error(const ToolchainDisk& tc) {
    std::string line = last_verity_log_line();
    return "toolchain-integrity: a block read from the toolchain disk " + tc.disk +
           " did not match the image's hash tree (root hash " + hex(tc.ref.root_hash) +
           "); dm-verity failed the read with EIO and the build's result is discarded" +
           (line.empty() ? std::string() : " (kernel: " + line + ")");
}

Json toolchain_status_json(const ToolchainImageRef& ref, const ToolchainDisk* opened) {
    Json j{{"root_hash", hex(ref.root_hash)},
           {"data_blocks", ref.data_blocks},
           {"image_bytes", toolchain_image_bytes(ref.data_blocks)}};
    if (opened) {
        j["disk"] = opened->disk;
        j["disk_bytes"] = opened->disk_bytes;
    }
    return j;
}

}  // namespace kettle::init
