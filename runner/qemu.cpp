// QEMU argv per profile; see qemu.hpp.
#include "qemu.hpp"

#include <cpuid.h>
#include <cstdio>

#include "kettle/core/base64.hpp"
#include "kettle/core/error.hpp"

namespace kettle::runner {

Profile parse_profile(std::string_view s) {
    if (s == "tcg") return Profile::tcg;
    if (s == "kvm") return Profile::kvm;
    if (s == "snp") return Profile::snp;
    if (s == "tdx") return Profile::tdx;
    throw Error("profile: '" + std::string(s) + "' is not one of tcg, kvm, snp, tdx");
}

const char* profile_name(Profile p) {
    switch (p) {
        case Profile::tcg: return "tcg";
        case Profile::kvm: return "kvm";
        case Profile::snp: return "snp";
        case Profile::tdx: return "tdx";
    }
    return "?";
}

std::string QemuVersion::str() const {
    return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(micro);
}

QemuVersion parse_qemu_version(std::string_view out) {
    auto pos = out.find("version ");
    if (pos == std::string_view::npos) throw Error("qemu --version: no 'version' in its output");
    pos += 8;
    QemuVersion v;
    int* parts[3] = {&v.major, &v.minor, &v.micro};
    int n = 0;
    while (n < 3) {
        std::size_t start = pos;
        long val = 0;
        while (pos < out.size() && out[pos] >= '0' && out[pos] <= '9' && pos - start < 6) {
            val = val * 10 + (out[pos] - '0');
            ++pos;
        }
        if (pos == start) break;
        *parts[n++] = static_cast<int>(val);
        if (pos < out.size() && out[pos] == '.') ++pos; else break;
    }
    if (n < 2) throw Error("qemu --version: cannot read a version number from '" +
                           std::string(out.substr(0, out.find('\n'))) + "'");
    return v;
}

QemuVersion min_qemu_version(Profile p) {
    switch (p) {
        case Profile::snp: return {9, 1, 0};
        case Profile::tdx: return {10, 1, 0};
        default: return {7, 0, 0};
    }
}

void require_qemu_version(Profile p, const QemuVersion& have) {
    auto need = min_qemu_version(p);
    if (have < need) {
        std::string why = p == Profile::snp ? " (the sev-snp-guest object with kernel-hashes and host-data)"
                        : p == Profile::tdx ? " (the tdx-guest object with mrconfigid and quote-generation-socket)"
                                            : "";
        throw Error("QEMU " + have.str() + " is too old for profile " + profile_name(p) + ": it needs QEMU >= " +
                    std::to_string(need.major) + "." + std::to_string(need.minor) + why);
    }
}


Bytes tdx_mrconfigid(ByteView d) {
    if (d.size() != 32) throw Error("tdx mrconfigid: the input digest must be 32 bytes");
    Bytes out(d.begin(), d.end());
    out.resize(48, 0);
    return out;
}

std::optional<std::pair<unsigned, unsigned>> host_sev_cbit() {
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (__get_cpuid_max(0x80000000u, nullptr) < 0x8000001Fu) return std::nullopt;
    __cpuid(0x8000001Fu, a, b, c, d);
    if (!(a & 0x2)) return std::nullopt;  // EAX bit 1: SEV supported
    return std::make_pair(b & 0x3f, (b >> 6) & 0x3f);
}

// The QGS socket as a QAPI SocketAddress in JSON: {"type":"unix","path":P} or
// {"type":"vsock","cid":"C","port":"P"} (QAPI VsockSocketAddress takes strings).
static std::string qgs_json(const std::string& s) {
    auto esc = [](const std::string& v) {
        std::string o;
        for (char c : v) {
            if (c == '"' || c == '\\') { o += '\\'; o += c; }
            else if (static_cast<unsigned char>(c) < 0x20) throw Error("tdx: control character in the QGS socket path");
            else o += c;
        }
        return o;
    };
    if (s.rfind("vsock:", 0) == 0) {
        auto rest = s.substr(6);
        auto colon = rest.find(':');
        if (colon == std::string::npos || colon == 0 || colon + 1 == rest.size())
            throw Error("tdx: --qgs vsock address must be vsock:CID:PORT, got '" + s + "'");
        for (char c : rest) if (c != ':' && (c < '0' || c > '9')) throw Error("tdx: --qgs vsock CID and PORT must be numbers");
        return R"({"type":"vsock","cid":")" + rest.substr(0, colon) + R"(","port":")" + rest.substr(colon + 1) + "\"}";
    }
    if (s.empty() || s[0] != '/') throw Error("tdx: the QGS socket must be an absolute unix path or vsock:CID:PORT");
    return R"({"type":"unix","path":")" + esc(s) + "\"}";
}

// QEMU's option parser splits on ',' (",," escapes a comma); refuse paths where that could
// change the meaning of the option instead of escaping silently.
static const std::string& opt_path(const std::string& p, const char* what) {
    if (p.empty()) throw Error(std::string("qemu: no ") + what + " path");
    if (p.find(',') != std::string::npos) throw Error(std::string("qemu: the ") + what + " path contains a comma: " + p);
    return p;
}

std::vector<std::string> qemu_argv(const VmConfig& c) {
    if (c.vcpus < 1 || c.vcpus > 64) throw Error("qemu: vcpus must be 1..64");
    if (c.memory_mib < 256 || c.memory_mib > (1u << 20)) throw Error("qemu: memory must be 256 MiB .. 1 TiB");
    bool cvm = c.profile == Profile::snp || c.profile == Profile::tdx;
    if (cvm && c.input_digest.size() != 32)
        throw Error(std::string("qemu: profile ") + profile_name(c.profile) + " needs the 32-byte input disk digest");
    if (cvm && c.firmware_pflash) throw Error("qemu: snp and tdx load the firmware with -bios, not pflash");
    if (cvm && !c.boot_disk.empty())
        throw Error("qemu: disk boot is for tcg and kvm; snp and tdx boot the UKI directly (measured with -kernel)");
    if (cvm && !c.tpm_socket.empty()) throw Error("qemu: a TPM emulator is for tcg and kvm only");

    std::vector<std::string> a{c.qemu, "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot"};
    std::string mem = std::to_string(c.memory_mib) + "M";
    auto add = [&](std::initializer_list<std::string> xs) { a.insert(a.end(), xs); };

    switch (c.profile) {
        case Profile::tcg:
            add({"-accel", "tcg", "-machine", "q35", "-cpu", c.cpu.empty() ? "max" : c.cpu});
            break;
        case Profile::kvm:
            add({"-accel", "kvm", "-machine", "q35", "-cpu", c.cpu.empty() ? "host" : c.cpu});
            break;
        case Profile::snp:
            // amd-memory-encryption.rst "Launching (SEV-SNP)": confidential-guest-support names the
            // sev-snp-guest object; guest RAM from a memfd backend; AmdSev OVMF with -bios.
            add({"-accel", "kvm", "-machine", "q35,confidential-guest-support=sev0,memory-backend=ram0,vmport=off",
                 "-cpu", c.cpu.empty() ? "EPYC-v4" : c.cpu,
                 "-object", "memory-backend-memfd,id=ram0,size=" + mem + ",share=true,prealloc=false",
                 "-object", "sev-snp-guest,id=sev0,policy=0x" + [&] {
                     char b[32]; std::snprintf(b, sizeof b, "%llx", static_cast<unsigned long long>(c.snp_policy));
                     return std::string(b); }() +
                     ",cbitpos=" + std::to_string(c.cbitpos) +
                     ",reduced-phys-bits=" + std::to_string(c.reduced_phys_bits) +
                     ",kernel-hashes=on,host-data=" + base64_encode(c.input_digest)});
            break;
        case Profile::tdx:
            // tdx.rst "Launching a TD": tdx-guest object, split irqchip, -bios. The
            // quote-generation-socket property is a QAPI SocketAddress, so the object is given in
            // JSON form (qom.json TdxGuestProperties, since 10.1 with mrconfigid).
            add({"-accel", "kvm", "-machine", "q35,kernel-irqchip=split,confidential-guest-support=tdx0,hpet=off",
                 "-cpu", c.cpu.empty() ? "host" : c.cpu,
                 "-object", R"({"qom-type":"tdx-guest","id":"tdx0","mrconfigid":")" +
                     base64_encode(tdx_mrconfigid(c.input_digest)) + R"(","quote-generation-socket":)" + qgs_json(c.qgs_socket) +
                     "}"});
            break;
    }
    add({"-smp", std::to_string(c.vcpus), "-m", mem});
    if (c.firmware_pflash)
        add({"-drive", "if=pflash,format=raw,unit=0,readonly=on,file=" + opt_path(c.firmware, "firmware")});
    else
        add({"-bios", opt_path(c.firmware, "firmware")});
    if (c.boot_disk.empty()) {
        add({"-kernel", opt_path(c.kernel, "kernel")});
    } else {
        // OVMF boots the first entry of QEMU's bootorder (bootindex 0); snapshot=on keeps the image file intact.
        add({"-drive", "file=" + opt_path(c.boot_disk, "boot disk") + ",if=none,id=kboot,format=raw,snapshot=on",
             "-device", "nvme,drive=kboot,serial=kettle-boot,bootindex=0"});
    }

    // Protected guests only accept virtio devices that go through the DMA API. Disk boot: NVMe, as on GCP/AWS.
    std::string vdev = !c.boot_disk.empty() ? "nvme"
                     : cvm ? "virtio-blk-pci,disable-legacy=on,iommu_platform=true" : "virtio-blk-pci";
    add({"-drive", "file=" + opt_path(c.input_disk, "input disk") + ",if=none,id=kin,format=raw,readonly=on",
         "-device", vdev + ",drive=kin,serial=kettle-input",
         "-drive", "file=" + opt_path(c.output_disk, "output disk") + ",if=none,id=kout,format=raw",
         "-device", vdev + ",drive=kout,serial=kettle-output"});
    if (!c.toolchain_disk.empty())
        add({"-drive", "file=" + opt_path(c.toolchain_disk, "toolchain disk") + ",if=none,id=ktc,format=raw,readonly=on",
             "-device", vdev + ",drive=ktc,serial=kettle-toolchain"});
    if (!c.tpm_socket.empty())
        add({"-chardev", "socket,id=ktpmchr,path=" + opt_path(c.tpm_socket, "TPM socket"),
             "-tpmdev", "emulator,id=ktpm,chardev=ktpmchr", "-device", "tpm-crb,tpmdev=ktpm"});
    add({"-nic", "none", "-serial", "stdio"});
    if (c.profile == Profile::tcg || c.profile == Profile::kvm) {
        add({"-device", "virtio-serial-pci,id=kvser",
             "-chardev", "socket,id=kamdsp,path=" + opt_path(c.amdsp_socket, "AMD-SP socket"),
             "-device", std::string("virtserialport,bus=kvser.0,chardev=kamdsp,name=") + kAmdSpPortName});
    }
    return a;
}

}  // namespace kettle::runner
