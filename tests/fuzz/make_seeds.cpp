// make-seeds DEST: writes valid inputs made by Kettle's own writers into DEST/<target>/ (tests/fuzz/seeds.sh
// adds the public fixtures of tests/data and the committed hand-made seeds). Seeds only start the fuzzer off deep
// in each format; they are not known answers.
#include <archive.h>
#include <archive_entry.h>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <iostream>
#include <unistd.h>

#include "fuzz.hpp"
#include "guest_test_util.hpp"
#include "kettle/boot/eventlog.hpp"
#include "kettle/boot/gpt.hpp"
#include "kettle/boot/ovmf.hpp"
#include "kettle/core/base64.hpp"
#include "kettle/core/x509.hpp"
#include "kettle/disk/format.hpp"
#include "kettle/disk/parser_reply.hpp"
#include "kettle/disk/roles.hpp"
#include "kettle/disk/verity.hpp"
#include "kettle/provenance/binding.hpp"
#include "kettle/provenance/dsse.hpp"
#include "kettle/provenance/evidence.hpp"
#include "kettle/provenance/statement.hpp"
#include "kettle/tdx/quote.hpp"
#include "sim_amdsp.hpp"

using namespace kettle;
namespace fs = std::filesystem;

namespace {

std::string g_dest;

void seed(const std::string& target, const std::string& name, std::string_view bytes) {
    fs::create_directories(g_dest + "/" + target);
    write_file(g_dest + "/" + target + "/" + name, bytes);
}
void seed(const std::string& target, const std::string& name, ByteView bytes) { seed(target, name, to_string(bytes)); }

Bytes fixture(const std::string& rel) { return read_file(fuzz::fixture(rel)); }

ProvenanceInputs statement_inputs() {
    auto h = [](std::string_view s) { return hex(sha256(s)); };
    ProvenanceInputs in;
    in.subjects = {{"out/hello", h("hello"), ""}, {"out/lib.so", h("lib"), ""}};
    in.build_request = R"({"argv":["/bin/sh","-c","make"],"nonce":"00112233"})";
    in.source_uri = "https://example.org/r.git";
    in.git_commit = std::string(40, 'a');
    in.git_tree = std::string(40, 'b');
    in.toolchain = {"toolchain.tar.zst", h("t"), ""};
    in.extra_inputs = {{"files/patch", h("p"), ""}};
    in.input_disk_sha256 = h("the input disk");
    in.internal_parameters = Json{{"timeout_seconds", 600}, {"pids_limit", 512}};
    in.init_version = "0.1.0";
    in.kernel_version = "6.12.0";
    in.image = {h("k"), h("i"), "console=ttyS0"};
    in.vm = {2, 4000000, "AMD EPYC"};
    in.invocation_id = "inv-1";
    in.started_on = "2026-01-01T00:00:00Z";
    in.finished_on = "2026-01-01T00:01:00Z";
    in.build_log_sha256 = h("log\n");
    return in;
}

BuildRequest sample_request() {
    BuildRequest r;
    r.argv = {"/bin/sh", "-c", "make -j2"};
    r.env = {{"PATH", "/usr/bin:/bin"}, {"HOME", "/tmp"}};
    r.workdir = "sub";
    r.artifacts = {"build/*.so", "out/**/bin?", "[a-c]*.txt"};
    r.nonce = "00112233445566778899aabbccddeeff";
    r.source_uri = "https://example.org/r.git";
    r.source_ref = "main";
    return r;
}

void provenance_seeds(const runner::SimChain& chain) {
    ProvenanceInputs in = statement_inputs();
    std::string S = serialize_statement(in, AttestMode::sim);
    seed("statement", "sim.json", S);
    seed("statement", "snp.json", serialize_statement(in, AttestMode::snp));
    seed("json", "statement.json", S);
    EcdsaP256Key key = EcdsaP256Key::generate();
    std::string env = dsse_envelope_jsonl(dsse_sign(kInTotoPayloadType, as_bytes(S), key));
    seed("dsse", "envelope.jsonl", env);
    seed("dsse", "public.pem", key.public_pem());
    seed("json", "envelope.json", env);

    ReportData rd = binding_report_data(as_bytes(S), key.spki_der());
    runner::SimPlatform plat;
    runner::SimLaunch launch;
    Bytes report = runner::build_sim_report(chain, plat, launch, ByteView(rd.data(), rd.size()), Bytes(32, 7));
    seed("snp_report", "sim.bin", report);
    Bytes table = runner::sim_cert_table(chain);
    seed("snp_cert_table", "sim.bin", table);
    Evidence ev;
    ev.platform = "sim-snp";
    ev.report = report;
    ev.certificates = parse_snp_cert_table(table);
    ev.signing_key_pem = key.public_pem();
    seed("evidence", "sim-snp.json", evidence_json(ev));
    seed("json", "evidence.json", evidence_json(ev));
    Evidence snp;
    snp.platform = "snp";
    snp.report = fixture("snp/virtee-sev-milan-v2/report.bin");
    snp.certificates = {{"vcek", fixture("snp/virtee-sev-milan-v2/vcek.der")}};
    snp.signing_key_pem = key.public_pem();
    seed("evidence", "snp.json", evidence_json(snp));
    Evidence tdx;
    tdx.platform = "tdx";
    tdx.report = fixture("tdx/go-tdx-guest/quote_v4_spr_e4.dat");
    tdx.signing_key_pem = key.public_pem();
    seed("evidence", "tdx.json", evidence_json(tdx));
    // With the boot evidence of a disk boot: the public COS CCEL log and table (TDX), a GCE vTPM log with PCRs.
    tdx.boot.logs.push_back({"ccel", "tcg2-crypto-agile", fixture("tdx/go-tdx-guest/ccel/ccel_data_trimmed.dat"), false});
    tdx.boot.ccel_table = fixture("tdx/go-tdx-guest/ccel/ccel_table.dat");
    tdx.boot.registers.rtmrs.assign(4, Bytes(48, 0));
    seed("evidence", "tdx-boot.json", evidence_json(tdx));
    snp.boot.logs.push_back({"tpm", "tcg2-crypto-agile", fixture("tpm/go-eventlog/cos-101-amd-sev.bin"), false});
    snp.boot.registers.tpm_pcrs["sha256"] = {{0, Bytes(32, 1)}, {4, Bytes(32, 2)}};
    seed("evidence", "snp-boot.json", evidence_json(snp));

    std::string ident = jcs(Json{{"schema", "kettle-image-identity/v1"}, {"kernel_sha256", std::string(64, 'a')},
                                 {"init_sha256", std::string(64, 'b')}, {"cmdline", "console=ttyS0 quiet"}});
    seed("statement", "image.json", ident);
    std::string req = jcs(request_to_json(sample_request()));
    seed("request", "request.json", req);
    seed("json", "request.json", req);
}

void certificate_seeds(const runner::SimChain& chain) {
    seed("x509", "sim-ark.der", chain.ark_der());
    seed("x509", "sim-vcek.der", chain.vcek_der());
    seed("x509", "sim-chain.pem", x509::to_pem(chain.vcek_der(), "CERTIFICATE") + x509::to_pem(chain.ask_der(), "CERTIFICATE"));
    for (const char* q : {"go-tdx-guest/quote_v4_spr_e4.dat", "go-tdx-guest/quote_v5.dat"}) {
        tdx::Quote quote = tdx::Quote::parse(fixture(std::string("tdx/") + q));
        seed("x509", fs::path(q).stem().string() + "-pck-chain.pem", quote.pck_chain_pem);
        auto ders = x509::pem_blocks(to_string(quote.pck_chain_pem), "CERTIFICATE");
        if (!ders.empty()) seed("x509", fs::path(q).stem().string() + "-pck.der", ders[0]);
    }
    auto milan = x509::load_certs(fixture("snp/roots/ask_ark_milan.pem"));
    auto vlek_roots = x509::load_certs(fixture("snp/roots/ask_ark_milan_vlek.pem"));
    seed("snp_cert_table", "milan-vcek.bin",
         build_snp_cert_table({{"vcek", fixture("snp/virtee-sev-milan-v2/vcek.der")}, {"ask", milan.at(0)}, {"ark", milan.at(1)}}));
    seed("snp_cert_table", "milan-vlek.bin",
         build_snp_cert_table({{"vlek", fixture("snp/trustee-milan-vlek-v3/vlek.der")}, {"asvk", vlek_roots.at(0)}}));
}

std::string small_toolchain(const char* filter) {
    test::TarBuilder t(filter);
    t.dir("bin/").file("bin/busybox", "\x7f" "ELF....", 0755).symlink("bin/sh", "busybox");
    t.hardlink("bin/ash", "bin/busybox").dir("etc/").file("etc/passwd", "root:x:0:0::/:/bin/sh\n");
    return t.finish();
}

void disk_seeds() {
    std::string req = jcs(request_to_json(sample_request()));
    for (const char* kind : {"tar", "tar.zst", "tar.gz"}) {
        const char* filter = std::string(kind) == "tar" ? nullptr : std::string(kind) == "tar.zst" ? "zstd" : "gzip";
        test::TarBuilder t;
        t.file("request.json", req).dir("source/").file("source/HEAD", "ref: refs/heads/main\n");
        t.dir("source/objects/").file("source/objects/ab", "blob").file("source/config", "[core]\n\tbare = true\n");
        t.file(std::string("toolchain.") + kind, small_toolchain(filter));
        t.dir("files/").file("files/patch.diff", "--- a\n+++ b\n", 0644).file("files/run.sh", "#!/bin/sh\n", 0755);
        seed("ingest", std::string("disk-") + kind + ".img", t.finish());
    }
    // The output disk: the guest's writer on a temporary file; and the bare payload for the wrapping mode.
    std::string path = g_dest + "/output.tmp";
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || ::ftruncate(fd, 64 << 10) != 0) throw Error("make-seeds: cannot create " + path);
    {
        OutputWriter w(fd, 64 << 10);
        w.add_bytes("status.json", std::string_view(R"({"exit_code":0,"result":"success"})"));
        w.add_bytes("build.log", std::string_view("make: done\n"));
        w.add_bytes("artifacts/out/hello", std::string_view("\x7f" "ELF"));
        w.finish();
    }
    ::close(fd);
    Bytes disk = read_file(path);
    fs::remove(path);
    seed("output_disk", "disk.img", std::string(1, '\0') + to_string(disk));
    std::string payload = test::TarBuilder().file("status.json", R"({"exit_code":1})").dir("artifacts/")
                              .file("artifacts/a/b.bin", "bytes", 0755).file("build.log", "log\n").finish();
    seed("output_disk", "payload.tar", std::string(1, '\1') + payload);
}

// A firmware tail with a footer table holding the TDVF metadata entry (e47a6535-…) and a two-section "TDVF"
// descriptor (TDX Virtual Firmware Design Guide §11), laid out as lib/boot/ovmf.hpp describes the table.
Bytes tdvf_tail() {
    Bytes fw(4096, 0);
    const std::size_t desc = 0x100;
    auto put32 = [&](std::size_t off, std::uint32_t v) { for (int i = 0; i < 4; ++i) fw[off + i] = static_cast<std::uint8_t>(v >> (8 * i)); };
    auto put64 = [&](std::size_t off, std::uint64_t v) { for (int i = 0; i < 8; ++i) fw[off + i] = static_cast<std::uint8_t>(v >> (8 * i)); };
    std::memcpy(fw.data() + desc, "TDVF", 4);
    put32(desc + 4, 16 + 2 * 32);
    put32(desc + 8, 1);
    put32(desc + 12, 2);
    std::size_t s0 = desc + 16, s1 = s0 + 32;
    put32(s0, 0);  put32(s0 + 4, 0x1000); put64(s0 + 8, 0xfffff000); put64(s0 + 16, 0x1000); put32(s0 + 24, 0); put32(s0 + 28, 1);
    put32(s1, 0);  put32(s1 + 4, 0);      put64(s1 + 8, 0x800000);   put64(s1 + 16, 0x2000); put32(s1 + 24, 3); put32(s1 + 28, 0);
    // Footer table, backwards from 32 bytes before the end: [u32 offset][u16 22][TDX GUID] [u16 40][footer GUID].
    const std::size_t end = fw.size() - 32;
    auto g_footer = boot::guid_le(boot::kFooterTableGuid), g_tdx = boot::guid_le(boot::kTdxMetadataGuid);
    std::memcpy(fw.data() + end - 16, g_footer.data(), 16);
    fw[end - 18] = 18 + 22;
    std::memcpy(fw.data() + end - 18 - 16, g_tdx.data(), 16);
    fw[end - 18 - 18] = 22;
    put32(end - 18 - 22, static_cast<std::uint32_t>(fw.size() - desc));
    return fw;
}

void misc_seeds() {
    seed("ovmf", "tdvf-tail.bin", tdvf_tail());
    seed("sim_amdsp", "request.json", R"({"type":"snp-report-request","report_data":")" + std::string(128, '0') + "\"}");
    seed("base64", "std.txt", base64_encode(as_bytes(std::string_view("any carnal pleas"))));
    seed("base64", "url.txt", std::string_view("-_-_YWJj"));
    seed("policy", "snp.json",
         R"({"product":"Milan","measurements":[")" + std::string(96, 'a') +
             R"("],"min_tcb":{"bootloader":3,"tee":0,"snp":8,"microcode":115},"allow_debug":false,"smt":"forbid","vmpl":0,)"
             R"("builder_id":"https://kettle-build.org/builders/snp/v1","source_commit":")" + std::string(40, 'a') + "\"}");
    seed("policy", "tdx.json",
         R"({"mrtd":[")" + std::string(96, 'b') + R"("],"rtmr1":[")" + std::string(96, 'c') +
             R"("],"accepted_tcb_status":["UpToDate","SWHardeningNeeded"]})");
}

// The GPT of a disk rebuilt from the EV_EFI_GPT_EVENT of the public COS-113 CCEL (as tests/unit/boot/gpt.cpp does):
// LBA 0 empty, the 92-byte header at LBA 1, the used entries at the start of the entry array.
Bytes gpt_disk() {
    for (const auto& e : boot::parse_ccel_log(fixture("tdx/go-tdx-guest/ccel/ccel_data_trimmed.dat"))) {
        if (e.event_type != boot::kEvEfiGptEvent || e.data.size() < 100) continue;
        const std::uint64_t entry_lba = le64(e.data, 72);
        const std::uint32_t count = le32(e.data, 80), size = le32(e.data, 84);
        if (entry_lba > 64 || count > 1024 || size > 1024) break;
        Bytes disk(entry_lba * 512 + std::size_t{count} * size, 0);
        std::copy(e.data.begin(), e.data.begin() + 92, disk.begin() + 512);
        std::copy(e.data.begin() + 100, e.data.end(), disk.begin() + static_cast<std::ptrdiff_t>(entry_lba * 512));
        return disk;
    }
    throw Error("make-seeds: no usable GPT event in the COS-113 log");
}

// A one-block toolchain image as read_toolchain_image expects it (docs/formats.md §5.1): a data block that starts
// like EROFS (magic at 1024, 4096-byte blocks, 1 block), then the verity superblock block (no hash tree for D = 1).
Bytes toolchain_image_one_block() {
    Bytes img(2 * kVerityBlockSize, 0);
    auto put = [&](std::size_t off, std::uint64_t v, int n) { for (int i = 0; i < n; ++i) img[off + i] = static_cast<std::uint8_t>(v >> (8 * i)); };
    put(1024, 0xE0F5E1E2u, 4);
    img[1024 + 12] = 12;
    put(1024 + 36, 1, 4);
    const std::size_t sb = kVerityBlockSize;
    std::memcpy(img.data() + sb, "verity\0\0", 8);
    put(sb + 8, 1, 4);
    put(sb + 12, 1, 4);
    std::memcpy(img.data() + sb + 32, "sha256", 6);
    put(sb + 64, kVerityBlockSize, 4);
    put(sb + 68, kVerityBlockSize, 4);
    put(sb + 72, 1, 8);
    put(sb + 80, verity_salt().size(), 2);
    std::memcpy(img.data() + sb + 88, verity_salt().data(), verity_salt().size());
    return img;
}

void boot_and_reply_seeds() {
    seed("gpt", "cos-113.img", gpt_disk());
    seed("disk_roles", "toolchain-1-block.img", toolchain_image_one_block());
    seed("disk_roles", "blank-output.img", blank_output_label());
    // Parser replies (first byte: 0 ingest, 1 checkout): an ingest of the tar input-disk seed, as the child sends it.
    const std::string probes = "/dev/sev-guest\tblocked: No such file or directory";
    std::string dest = g_dest + "/ingest.tmp";
    fs::create_directories(dest);
    IngestResult r = ingest_input_path(g_dest + "/ingest/disk-tar.img", dest);
    fs::remove_all(dest);
    seed("parser_reply", "ingest.bin", std::string(1, '\0') + encode_ingest_reply(r, {probes}));
    seed("parser_reply", "checkout.bin", std::string(1, '\1') + encode_checkout_reply(std::string(40, 'a'), std::string(40, 'b'), {probes}));
    seed("parser_reply", "error.bin", std::string(1, '\0') + encode_error_reply("input: request.json: bad", {probes}));
}

}  // namespace

// A Go module zip (golang.org/x/mod/zip layout: files under "<module>@<version>/"), written by libarchive, for the
// go_zip target's module example.com/m v1.0.0.
std::string go_module_zip() {
    std::vector<char> buf(1 << 16);
    std::size_t used = 0;
    struct archive* a = archive_write_new();
    archive_write_set_format_zip(a);
    if (archive_write_open_memory(a, buf.data(), buf.size(), &used) != ARCHIVE_OK) throw Error("make-seeds: zip");
    for (const auto& [name, body] : std::vector<std::pair<std::string, std::string>>{
             {"example.com/m@v1.0.0/go.mod", "module example.com/m\n\ngo 1.19\n"},
             {"example.com/m@v1.0.0/m.go", "package m\n"},
             {"example.com/m@v1.0.0/sub/s.go", "package sub\n"}}) {
        struct archive_entry* e = archive_entry_new();
        archive_entry_set_pathname(e, name.c_str());
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_size(e, static_cast<la_int64_t>(body.size()));
        archive_write_header(a, e);
        archive_write_data(a, body.data(), body.size());
        archive_entry_free(e);
    }
    archive_write_close(a);
    archive_write_free(a);
    return std::string(buf.data(), used);
}

// Dependency files: an npm tarball of mkdirp@1.0.4 (the package npm_tarball and deps_npm lock) with a "bin" map
// and nested directories, and a Go module zip.
void deps_seeds() {
    std::string tgz = test::TarBuilder("gzip").dir("package/").file("package/package.json",
        R"({"name":"mkdirp","version":"1.0.4","bin":{"mkdirp":"bin/cmd.js","@s/two":"./lib/two.js"}})")
        .dir("package/bin/").file("package/bin/cmd.js", "#!/usr/bin/env node\n", 0644)
        .dir("package/lib/").file("package/lib/two.js", "module.exports = 2\n").finish();
    seed("npm_tarball", "mkdirp-bins.tgz", tgz);
    seed("deps_npm", "mkdirp-bins.tgz", tgz);
    seed("go_zip", "example-m.zip", go_module_zip());
}

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: make-seeds DEST\n";
        return 2;
    }
    g_dest = argv[1];
    try {
        runner::SimChain chain = runner::SimChain::load_or_create(runner::SimChain::default_dir());
        provenance_seeds(chain);
        certificate_seeds(chain);
        disk_seeds();
        misc_seeds();
        boot_and_reply_seeds();
        deps_seeds();
    } catch (const std::exception& e) {
        std::cerr << "make-seeds: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
