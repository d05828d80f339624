// QEMU argv per profile, checked against the option syntax documented by QEMU:
//  - docs/system/i386/amd-memory-encryption.rst ("Launching (SEV-SNP)": -machine ...,confidential-guest-support=sev0
//    -object sev-snp-guest,id=sev0,cbitpos=51,reduced-phys-bits=1) and qapi/qom.json SevCommonProperties
//    (cbitpos, reduced-phys-bits, kernel-hashes) / SevSnpGuestProperties (policy, host-data: 32-byte base64);
//  - docs/system/i386/tdx.rst ("Launching a TD": -object tdx-guest,id=tdx0 -machine ...,confidential-guest-support=tdx0
//    -bios OVMF.fd, kernel-irqchip split) and qom.json TdxGuestProperties (mrconfigid: base64 SHA384 digest,
//    quote-generation-socket: SocketAddress, which needs the JSON form of -object).
#include <catch2/catch_test_macros.hpp>

#include <algorithm>

#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/core/json.hpp"
#include "qemu.hpp"

using namespace kettle;
using namespace kettle::runner;

namespace {
VmConfig base(Profile p) {
    VmConfig c;
    c.profile = p;
    c.vcpus = 2;
    c.memory_mib = 2048;
    c.firmware = p == Profile::snp ? "/img/ovmf-amdsev.fd" : "/img/ovmf.fd";
    c.kernel = "/img/kettle.efi";
    c.input_disk = "/w/input.img";
    c.output_disk = "/w/output.img";
    c.amdsp_socket = "/w/amdsp.sock";
    // SHA-256("abc") (FIPS 180-2 B.1): ba7816bf...
    c.input_digest = sha256(std::string_view("abc"));
    return c;
}
bool has_pair(const std::vector<std::string>& a, const std::string& k, const std::string& v) {
    for (std::size_t i = 0; i + 1 < a.size(); ++i) if (a[i] == k && a[i + 1] == v) return true;
    return false;
}
bool has(const std::vector<std::string>& a, const std::string& k) { return std::find(a.begin(), a.end(), k) != a.end(); }
}  // namespace

TEST_CASE("tcg argv is exact", "[qemu]") {
    auto a = qemu_argv(base(Profile::tcg));
    std::vector<std::string> want{
        "qemu-system-x86_64", "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
        "-accel", "tcg", "-machine", "q35", "-cpu", "max",
        "-smp", "2", "-m", "2048M",
        "-bios", "/img/ovmf.fd",
        "-kernel", "/img/kettle.efi",
        "-drive", "file=/w/input.img,if=none,id=kin,format=raw,readonly=on",
        "-device", "virtio-blk-pci,drive=kin,serial=kettle-input",
        "-drive", "file=/w/output.img,if=none,id=kout,format=raw",
        "-device", "virtio-blk-pci,drive=kout,serial=kettle-output",
        "-nic", "none", "-serial", "stdio",
        "-device", "virtio-serial-pci,id=kvser",
        "-chardev", "socket,id=kamdsp,path=/w/amdsp.sock",
        "-device", "virtserialport,bus=kvser.0,chardev=kamdsp,name=org.kettle.amdsp.0"};
    CHECK(a == want);
    CHECK_FALSE(has(a, "-append"));
    CHECK_FALSE(has(a, "-initrd"));
}

TEST_CASE("kvm argv: KVM accel, host CPU, firmware as pflash when asked", "[qemu]") {
    auto c = base(Profile::kvm);
    c.firmware_pflash = true;
    auto a = qemu_argv(c);
    CHECK(has_pair(a, "-accel", "kvm"));
    CHECK(has_pair(a, "-cpu", "host"));
    CHECK(has_pair(a, "-drive", "if=pflash,format=raw,unit=0,readonly=on,file=/img/ovmf.fd"));
    CHECK_FALSE(has(a, "-bios"));
    CHECK(has_pair(a, "-nic", "none"));
    CHECK(has_pair(a, "-device", "virtserialport,bus=kvser.0,chardev=kamdsp,name=org.kettle.amdsp.0"));
}

TEST_CASE("snp argv follows amd-memory-encryption.rst and SevSnpGuestProperties", "[qemu]") {
    auto a = qemu_argv(base(Profile::snp));
    CHECK(has_pair(a, "-accel", "kvm"));
    CHECK(has_pair(a, "-machine", "q35,confidential-guest-support=sev0,memory-backend=ram0,vmport=off"));
    CHECK(has_pair(a, "-object", "memory-backend-memfd,id=ram0,size=2048M,share=true,prealloc=false"));
    // host-data = base64(SHA-256("abc")); the base64 text was computed independently with
    // `printf abc | openssl dgst -sha256 -binary | base64`.
    CHECK(has_pair(a, "-object",
                   "sev-snp-guest,id=sev0,policy=0x30000,cbitpos=51,reduced-phys-bits=1,kernel-hashes=on,"
                   "host-data=ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="));
    CHECK(has_pair(a, "-bios", "/img/ovmf-amdsev.fd"));
    CHECK(has_pair(a, "-kernel", "/img/kettle.efi"));
    CHECK(has_pair(a, "-cpu", "EPYC-v4"));
    CHECK(has_pair(a, "-device", "virtio-blk-pci,disable-legacy=on,iommu_platform=true,drive=kin,serial=kettle-input"));
    CHECK_FALSE(has(a, "-append"));
    CHECK_FALSE(has(a, "virtio-serial-pci,id=kvser"));  // no simulated AMD-SP on real SNP
    CHECK_FALSE(has(a, "-chardev"));
}

TEST_CASE("snp policy never has DEBUG set by default", "[qemu]") {
    VmConfig c;
    CHECK((c.snp_policy & (1u << 19)) == 0);
    CHECK((c.snp_policy & (1u << 17)) != 0);  // reserved, must be one
}

TEST_CASE("tdx argv follows tdx.rst and TdxGuestProperties", "[qemu]") {
    auto a = qemu_argv(base(Profile::tdx));
    CHECK(has_pair(a, "-machine", "q35,kernel-irqchip=split,confidential-guest-support=tdx0,hpet=off"));
    CHECK(has_pair(a, "-bios", "/img/ovmf.fd"));
    std::string obj;
    for (std::size_t i = 0; i + 1 < a.size(); ++i) if (a[i] == "-object") obj = a[i + 1];
    Json j = parse_strict(obj);
    CHECK(j["qom-type"] == "tdx-guest");
    CHECK(j["id"] == "tdx0");
    // MRCONFIGID = SHA-256("abc") || 16 zero bytes, base64 (48 bytes -> 64 characters).
    CHECK(j["mrconfigid"] == "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0AAAAAAAAAAAAAAAAAAAAA");
    CHECK(j["quote-generation-socket"] == Json{{"type", "unix"}, {"path", "/var/run/tdx-qgs/qgs.socket"}});
    auto c = base(Profile::tdx);
    c.qgs_socket = "vsock:2:4050";
    a = qemu_argv(c);
    for (std::size_t i = 0; i + 1 < a.size(); ++i) if (a[i] == "-object") obj = a[i + 1];
    CHECK(parse_strict(obj)["quote-generation-socket"] == Json{{"type", "vsock"}, {"cid", "2"}, {"port", "4050"}});
    c.qgs_socket = "vsock:2";
    CHECK_THROWS_AS(qemu_argv(c), Error);
}

TEST_CASE("confidential profiles need the input digest and -bios", "[qemu]") {
    for (auto p : {Profile::snp, Profile::tdx}) {
        auto c = base(p);
        c.input_digest.clear();
        CHECK_THROWS_AS(qemu_argv(c), Error);
        c = base(p);
        c.firmware_pflash = true;
        CHECK_THROWS_AS(qemu_argv(c), Error);
    }
}

TEST_CASE("paths with commas are refused, not mis-parsed by QEMU", "[qemu]") {
    auto c = base(Profile::tcg);
    c.input_disk = "/w/in,format=qcow2.img";
    CHECK_THROWS_AS(qemu_argv(c), Error);
}

TEST_CASE("QEMU version detection and refusal", "[qemu]") {
    auto v = parse_qemu_version("QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)\nCopyright ...\n");
    CHECK(v == QemuVersion{7, 2, 22});
    CHECK(parse_qemu_version("QEMU emulator version 9.1.0") == QemuVersion{9, 1, 0});
    CHECK(parse_qemu_version("QEMU emulator version 10.1.50 (v10.1.0-123)") == QemuVersion{10, 1, 50});
    CHECK_THROWS_AS(parse_qemu_version("not qemu"), Error);
    CHECK_NOTHROW(require_qemu_version(Profile::tcg, v));
    try {
        require_qemu_version(Profile::snp, v);
        FAIL("7.2 accepted for snp");
    } catch (const Error& e) {
        CHECK(std::string(e.what()).find("too old") != std::string::npos);
        CHECK(std::string(e.what()).find("9.1") != std::string::npos);
    }
    CHECK_NOTHROW(require_qemu_version(Profile::snp, {9, 1, 0}));
    CHECK_THROWS_AS(require_qemu_version(Profile::tdx, {10, 0, 3}), Error);
    CHECK_NOTHROW(require_qemu_version(Profile::tdx, {10, 1, 0}));
}

TEST_CASE("profile names", "[qemu]") {
    CHECK(parse_profile("snp") == Profile::snp);
    CHECK_THROWS_AS(parse_profile("sev"), Error);
}

TEST_CASE("a toolchain image is a third, read-only virtio disk", "[qemu][verity]") {
    VmConfig c = base(Profile::tcg);
    c.toolchain_disk = "/w/tc.img";
    auto a = qemu_argv(c);
    CHECK(has_pair(a, "-drive", "file=/w/tc.img,if=none,id=ktc,format=raw,readonly=on"));
    CHECK(has_pair(a, "-device", "virtio-blk-pci,drive=ktc,serial=kettle-toolchain"));
    // After the input and output disks (the guest finds every disk by content; the order only keeps argv stable).
    auto pos = [&](const std::string& s) { return std::find(a.begin(), a.end(), s) - a.begin(); };
    CHECK(pos("virtio-blk-pci,drive=kout,serial=kettle-output") < pos("virtio-blk-pci,drive=ktc,serial=kettle-toolchain"));
    VmConfig s = base(Profile::snp);
    s.toolchain_disk = "/w/tc.img";
    CHECK(has_pair(qemu_argv(s), "-device",
                   "virtio-blk-pci,disable-legacy=on,iommu_platform=true,drive=ktc,serial=kettle-toolchain"));
    c.toolchain_disk = "/w/a,b.img";
    CHECK_THROWS_AS(qemu_argv(c), Error);
    for (const auto& x : qemu_argv(base(Profile::tcg))) CHECK(x.find("kettle-toolchain") == std::string::npos);
}

TEST_CASE("disk boot: no -kernel, the boot disk first in the boot order, every disk on NVMe", "[qemu]") {
    VmConfig c = base(Profile::tcg);
    c.boot_disk = "/img/kettle-disk.raw";
    auto a = qemu_argv(c);
    CHECK_FALSE(has(a, "-kernel"));
    CHECK(has_pair(a, "-drive", "file=/img/kettle-disk.raw,if=none,id=kboot,format=raw,snapshot=on"));
    CHECK(has_pair(a, "-device", "nvme,drive=kboot,serial=kettle-boot,bootindex=0"));
    CHECK(has_pair(a, "-device", "nvme,drive=kin,serial=kettle-input"));
    CHECK(has_pair(a, "-device", "nvme,drive=kout,serial=kettle-output"));
    CHECK(has_pair(a, "-drive", "file=/w/input.img,if=none,id=kin,format=raw,readonly=on"));
    for (const auto& x : a) CHECK(x.find("virtio-blk") == std::string::npos);
    // The TPM emulator (QEMU docs/specs/tpm.rst: -chardev socket + -tpmdev emulator + a CRB device).
    c.tpm_socket = "/w/swtpm.sock";
    a = qemu_argv(c);
    CHECK(has_pair(a, "-chardev", "socket,id=ktpmchr,path=/w/swtpm.sock"));
    CHECK(has_pair(a, "-tpmdev", "emulator,id=ktpm,chardev=ktpmchr"));
    CHECK(has_pair(a, "-device", "tpm-crb,tpmdev=ktpm"));
    // Confidential profiles boot the UKI directly (kernel hashes / RTMR1 of -kernel) and take no emulated TPM.
    VmConfig s = base(Profile::snp);
    s.boot_disk = "/img/kettle-disk.raw";
    CHECK_THROWS_AS(qemu_argv(s), Error);
    s = base(Profile::tdx);
    s.tpm_socket = "/w/swtpm.sock";
    CHECK_THROWS_AS(qemu_argv(s), Error);
    c.boot_disk = "/img/a,b.raw";
    CHECK_THROWS_AS(qemu_argv(c), Error);
}
