// Attestation backends against fake trees and devices: configfs-tsm (incl. generation races), /dev/sev-guest
// SNP_GET_EXT_REPORT (too-small cert buffer, busy retry) through a fake ioctl, the simulated AMD-SP protocol,
// and attest_build end to end.
#include <catch2/catch_test_macros.hpp>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <functional>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <termios.h>
#include <cstdlib>
#include <unistd.h>

#include <linux/sev-guest.h>

#include "kettle/attest/attest.hpp"
#include "kettle/core/base64.hpp"
#include "kettle/provenance/dsse.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/core/json.hpp"

#include "test_support.hpp"

using namespace kettle;
namespace fs = std::filesystem;

namespace {


ReportData sample_rd(std::uint8_t seed) {
    ReportData rd{};
    for (std::size_t i = 0; i < rd.size(); ++i) rd[i] = static_cast<std::uint8_t>(seed + i);
    return rd;
}

// A fake SNP report: 1184 bytes, version 2, with REPORT_DATA at 0x50 (AMD ABI 56860 Table 23).
Bytes fake_snp_report(ByteView report_data, ByteView host_data = {}) {
    Bytes r(kSnpReportSize, 0);
    r[0] = 2;
    std::memcpy(r.data() + 0x50, report_data.data(), 64);
    if (!host_data.empty()) std::memcpy(r.data() + 0xC0, host_data.data(), 32);
    return r;
}

// A fake TDX quote v4: header 48 bytes, TD report body, REPORTDATA at 0x30 + 0x208.
Bytes fake_tdx_quote(ByteView report_data) {
    Bytes q(0x30 + 584 + 64, 0);
    q[0] = 4;
    q[2] = 2;
    q[4] = 0x81;
    std::memcpy(q.data() + 0x30 + 0x208, report_data.data(), 64);
    return q;
}

// Emulates the configfs-tsm kernel side on a plain directory: mkdir populates an entry, writing inblob bumps
// generation, reading outblob produces a report over the current inblob.
struct FakeTsm {
    std::string provider = "sev_guest";
    Bytes aux;
    Bytes host_data;
    int bump_generation_on_outblob = 0;  // simulate another writer during the exchange
    int extra_bump_on_inblob = 0;
    bool corrupt_report_data = false;
    int make_dir_calls = 0;

    static std::uint64_t gen(const std::string& entry) {
        return std::stoull(to_string(read_file(entry + "/generation")));
    }
    static void set_gen(const std::string& entry, std::uint64_t g) {
        write_file(entry + "/generation", std::to_string(g) + "\n");
    }
    TsmFsOps ops() {
        TsmFsOps o = TsmFsOps::real();
        TsmFsOps real = TsmFsOps::real();
        o.make_dir = [this, real](const std::string& p) {
            ++make_dir_calls;
            int rc = real.make_dir(p);
            if (rc != 0) return rc;
            write_file(p + "/provider", provider + "\n");
            set_gen(p, 0);
            return 0;
        };
        o.remove_dir = [](const std::string& p) {
            fs::remove_all(p);
            return 0;
        };
        o.write = [this, real](const std::string& path, ByteView data) {
            int rc = real.write(path, data);
            if (rc == -ENOENT) {  // first write creates the attribute file in the fake tree
                write_file(path, data);
                rc = 0;
            }
            if (rc == 0 && fs::path(path).filename() == "inblob") {
                std::string entry = fs::path(path).parent_path().string();
                set_gen(entry, gen(entry) + 1 + extra_bump_on_inblob);
            }
            return rc;
        };
        o.read = [this, real](const std::string& path, std::size_t max, Bytes& out) {
            std::string entry = fs::path(path).parent_path().string();
            std::string leaf = fs::path(path).filename().string();
            if (leaf == "outblob") {
                Bytes in = read_file(entry + "/inblob");
                if (corrupt_report_data) in[0] ^= 1;
                Bytes rep = provider == "sev_guest" ? fake_snp_report(in, host_data) : fake_tdx_quote(in);
                if (rep.size() > max) return -EFBIG;
                out = rep;
                if (bump_generation_on_outblob) set_gen(entry, gen(entry) + bump_generation_on_outblob);
                return 0;
            }
            if (leaf == "auxblob") {
                out = aux;
                return 0;
            }
            return real.read(path, max, out);
        };
        return o;
    }
};

}  // namespace

TEST_CASE("configfs-tsm: SNP report and certificate table through a fake tree", "[attest][tsm]") {
    test::TempDir t;
    const fs::path tp(t.path);
    FakeTsm fake;
    fake.aux = build_snp_cert_table({{"vcek", Bytes{1, 2, 3}}, {"ask", Bytes{4, 5}}, {"ark", Bytes{6}}});
    auto b = detect_configfs_tsm(tp.string(), fake.ops());
    REQUIRE(b);
    CHECK(b->mode() == AttestMode::snp);
    CHECK(b->name() == "configfs-tsm");
    ReportData rd = sample_rd(7);
    RawReport r = b->get_report(rd);
    CHECK(r.platform == "snp");
    CHECK(r.report.size() == kSnpReportSize);
    CHECK(Bytes(r.report.begin() + 0x50, r.report.begin() + 0x90) == Bytes(rd.begin(), rd.end()));
    auto certs = parse_snp_cert_table(r.cert_table);
    REQUIRE(certs.size() == 3);
    CHECK(certs[0].type == "vcek");
    CHECK(certs[2].der == Bytes{6});
    // The entry was removed afterwards; only the probe and the report entry were created.
    CHECK(fs::is_empty(tp));
    CHECK(fake.make_dir_calls == 2);
}

TEST_CASE("configfs-tsm: a generation change during the exchange is detected", "[attest][tsm]") {
    test::TempDir t;
    const fs::path tp(t.path);
    FakeTsm fake;
    fake.bump_generation_on_outblob = 1;
    auto b = detect_configfs_tsm(tp.string(), fake.ops());
    REQUIRE(b);
    try {
        b->get_report(sample_rd(1));
        FAIL("race not detected");
    } catch (const Error& e) {
        CHECK(std::string(e.what()).find("generation changed") != std::string::npos);
    }
    FakeTsm fake2;
    fake2.extra_bump_on_inblob = 1;  // someone else wrote inblob too
    auto b2 = detect_configfs_tsm(tp.string(), fake2.ops());
    REQUIRE(b2);
    CHECK_THROWS_AS(b2->get_report(sample_rd(2)), Error);
    FakeTsm fake3;
    fake3.corrupt_report_data = true;  // a report over other data is refused
    auto b3 = detect_configfs_tsm(tp.string(), fake3.ops());
    REQUIRE(b3);
    CHECK_THROWS_AS(b3->get_report(sample_rd(3)), Error);
    CHECK(fs::is_empty(tp));
}

TEST_CASE("configfs-tsm: TDX provider, unknown provider, absent root", "[attest][tsm]") {
    test::TempDir t;
    const fs::path tp(t.path);
    FakeTsm fake;
    fake.provider = "tdx_guest";
    auto b = detect_configfs_tsm(tp.string(), fake.ops());
    REQUIRE(b);
    CHECK(b->mode() == AttestMode::tdx);
    ReportData rd = sample_rd(9);
    RawReport r = b->get_report(rd);
    CHECK(r.platform == "tdx");
    CHECK(r.cert_table.empty());
    CHECK(Bytes(r.report.begin() + 0x238, r.report.begin() + 0x278) == Bytes(rd.begin(), rd.end()));

    FakeTsm other;
    other.provider = "arm_cca_guest";
    CHECK_FALSE(detect_configfs_tsm(tp.string(), other.ops()));
    CHECK_FALSE(detect_configfs_tsm((tp / "missing").string(), fake.ops()));
}

// ---- /dev/sev-guest with a fake ioctl --------------------------------------------------------------------------

namespace {

struct FakeSev {
    int calls = 0;
    int busy_left = 0;
    std::uint32_t need_certs = 0;  // bytes the "host" needs
    Bytes table;
    std::uint32_t status = 0;
    std::uint32_t report_size = kSnpReportSize;
    bool ok_but_wrong_rd = false;
    std::vector<std::uint32_t> seen_certs_len;
};
FakeSev g_sev;

int fake_sev_ioctl(int, unsigned long request, void* arg) {
    ++g_sev.calls;
    if (request != SNP_GET_EXT_REPORT) {
        errno = ENOTTY;
        return -1;
    }
    auto* io = static_cast<snp_guest_request_ioctl*>(arg);
    auto* req = reinterpret_cast<snp_ext_report_req*>(static_cast<std::uintptr_t>(io->req_data));
    auto* resp = reinterpret_cast<snp_report_resp*>(static_cast<std::uintptr_t>(io->resp_data));
    if (io->msg_version != 1) {
        errno = EINVAL;
        return -1;
    }
    g_sev.seen_certs_len.push_back(req->certs_len);
    if (g_sev.busy_left > 0) {
        --g_sev.busy_left;
        io->exitinfo2 = std::uint64_t(SNP_GUEST_VMM_ERR_BUSY) << 32;
        errno = EAGAIN;
        return -1;
    }
    if (req->certs_len < g_sev.need_certs) {
        req->certs_len = g_sev.need_certs;
        io->exitinfo2 = std::uint64_t(SNP_GUEST_VMM_ERR_INVALID_LEN) << 32;
        errno = ENOSPC;
        return -1;
    }
    // An empty table has data() == nullptr, and memcpy from a null pointer is undefined even for 0 bytes (UBSan).
    if (!g_sev.table.empty())
        std::memcpy(reinterpret_cast<void*>(static_cast<std::uintptr_t>(req->certs_address)), g_sev.table.data(),
                    std::min<std::size_t>(g_sev.table.size(), req->certs_len));
    Bytes rep = fake_snp_report(ByteView(req->data.user_data, 64));
    if (g_sev.ok_but_wrong_rd) rep[0x50] ^= 1;
    std::memset(resp->data, 0, sizeof resp->data);
    Bytes hdr;
    put_le32(hdr, g_sev.status);
    put_le32(hdr, g_sev.report_size);
    std::memcpy(resp->data, hdr.data(), 8);
    std::memcpy(resp->data + 0x20, rep.data(), rep.size());
    io->exitinfo2 = 0;
    return 0;
}

}  // namespace

TEST_CASE("sev-guest: certificate-table size negotiation and busy retry", "[attest][sevguest]") {
    test::TempDir t;
    const fs::path tp(t.path);
    std::string dev = (tp / "sev-guest").string();
    write_file(dev, "");
    CHECK_FALSE(detect_sev_guest((tp / "absent").string(), fake_sev_ioctl));

    g_sev = FakeSev{};
    Bytes vcek(9000, 0x30);  // host holds more certificate data than the first 16 KiB buffer
    Bytes ask(4000, 0x31), ark(4000, 0x32);
    g_sev.table = build_snp_cert_table({{"vcek", vcek}, {"ask", ask}, {"ark", ark}});
    g_sev.need_certs = 5 * 4096;
    REQUIRE(g_sev.table.size() <= g_sev.need_certs);
    g_sev.busy_left = 2;
    auto b = detect_sev_guest(dev, fake_sev_ioctl, 5);
    REQUIRE(b);
    ReportData rd = sample_rd(3);
    RawReport r = b->get_report(rd);
    CHECK(g_sev.calls == 4);  // busy, busy, too small, ok
    REQUIRE(g_sev.seen_certs_len.size() == 4);
    CHECK(g_sev.seen_certs_len[2] == 4 * 4096);
    CHECK(g_sev.seen_certs_len[3] == 5 * 4096);
    CHECK(r.report.size() == kSnpReportSize);
    CHECK(Bytes(r.report.begin() + 0x50, r.report.begin() + 0x90) == Bytes(rd.begin(), rd.end()));
    auto certs = parse_snp_cert_table(r.cert_table);
    REQUIRE(certs.size() == 3);
    CHECK(certs[0].der == vcek);
    CHECK(certs[2].der == ark);

    g_sev = FakeSev{};
    g_sev.busy_left = 100;
    CHECK_THROWS_AS(detect_sev_guest(dev, fake_sev_ioctl, 2)->get_report(rd), Error);

    g_sev = FakeSev{};
    g_sev.need_certs = 1u << 20;  // absurd demand from the host
    CHECK_THROWS_AS(detect_sev_guest(dev, fake_sev_ioctl)->get_report(rd), Error);

    g_sev = FakeSev{};
    g_sev.report_size = 5000;  // size field larger than the response buffer
    CHECK_THROWS_AS(detect_sev_guest(dev, fake_sev_ioctl)->get_report(rd), Error);

    g_sev = FakeSev{};
    g_sev.status = 0x16;
    CHECK_THROWS_AS(detect_sev_guest(dev, fake_sev_ioctl)->get_report(rd), Error);

    g_sev = FakeSev{};
    g_sev.ok_but_wrong_rd = true;
    CHECK_THROWS_AS(detect_sev_guest(dev, fake_sev_ioctl)->get_report(rd), Error);
}

// ---- simulated AMD-SP ------------------------------------------------------------------------------------------

namespace {

// Serve one request on `fd`: read a line, answer with `make(request)`.
std::thread serve_once(int fd, std::function<std::string(const Json&)> make) {
    return std::thread([fd, make] {
        std::string line;
        char c;
        while (::read(fd, &c, 1) == 1 && c != '\n') line += c;
        std::string answer;
        try {
            answer = make(parse_strict(line));
        } catch (const std::exception&) {
            return;  // the request was not JSON: send nothing; the client side times out and the test fails
        }
        std::size_t done = 0;
        while (done < answer.size()) {
            ssize_t n = ::write(fd, answer.data() + done, answer.size() - done);
            if (n <= 0) break;
            done += static_cast<std::size_t>(n);
        }
    });
}

}  // namespace

TEST_CASE("simulated AMD-SP: protocol, errors and bounds", "[attest][sim]") {
    ReportData rd = sample_rd(0x40);
    auto run = [&](std::function<std::string(const Json&)> make, int timeout_ms = 5000) {
        int sv[2];
        REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
        std::thread th = serve_once(sv[1], make);
        struct Guard {
            int a, b;
            std::thread& th;
            ~Guard() {
                ::shutdown(a, SHUT_RDWR);
                th.join();
                ::close(a);
                ::close(b);
            }
        } g{sv[0], sv[1], th};
        return sim_amdsp_exchange(sv[0], rd, timeout_ms);
    };
    Bytes table = build_snp_cert_table({{"vcek", Bytes{7, 7}}});
    Json seen;
    RawReport r = run([&](const Json& req) {
        seen = req;
        Bytes rep = fake_snp_report(unhex(req["report_data"].get<std::string>()));
        return jcs(Json{{"type", "snp-report-response"},
                        {"report", base64_encode(rep)},
                        {"cert_table", base64_encode(table)}}) + "\n";
    });
    CHECK(seen["type"] == "snp-report-request");
    CHECK(seen["report_data"] == hex(ByteView(rd.data(), 64)));
    CHECK(r.platform == "sim-snp");
    CHECK(r.cert_table == table);

    auto expect = [&](std::function<std::string(const Json&)> make, const std::string& needle, int timeout = 5000) {
        try {
            run(make, timeout);
            FAIL("no error, expected " << needle);
        } catch (const Error& e) {
            INFO(e.what());
            CHECK(std::string(e.what()).find(needle) != std::string::npos);
        }
    };
    expect([](const Json&) { return std::string(R"({"type":"error","message":"no VCEK"})") + "\n"; }, "no VCEK");
    expect([](const Json&) { return std::string(300 * 1024, 'a'); }, "exceeds 256 KiB");
    expect([](const Json&) { return std::string(); }, "timed out", 300);
    expect([](const Json& req) {
        Bytes rep = fake_snp_report(unhex(req["report_data"].get<std::string>()));
        rep[0x8f] ^= 1;
        return jcs(Json{{"type", "snp-report-response"}, {"report", base64_encode(rep)}}) + "\n";
    }, "not the requested binding");
    expect([](const Json&) {
        return jcs(Json{{"type", "snp-report-response"}, {"report", base64_encode(Bytes(100, 0))}}) + "\n";
    }, "not 1184");
    expect([](const Json&) { return std::string("{\"type\":\"snp-report-response\",\"type\":\"x\"}\n"); },
           "duplicate");
}

TEST_CASE("virtio-serial port discovery by name", "[attest][sim]") {
    test::TempDir t;
    const fs::path tp(t.path);
    fs::create_directories(tp / "sys" / "vport0p1");
    fs::create_directories(tp / "sys" / "vport0p2");
    fs::create_directories(tp / "sys" / "evil");
    write_file((tp / "sys/vport0p1/name").string(), "org.qemu.guest_agent.0\n");
    write_file((tp / "sys/vport0p2/name").string(), "org.kettle.amdsp.0\n");
    write_file((tp / "sys/evil/name").string(), "org.kettle.amdsp.0\n");
    CHECK(find_virtio_port((tp / "sys").string(), "/dev") == "/dev/vport0p2");
    CHECK(find_virtio_port((tp / "sys").string(), "/dev", "org.other.0").empty());
    CHECK(find_virtio_port((tp / "nosys").string(), "/dev").empty());
}

// ---- attest_build end to end -------------------------------------------------------------------------------------

namespace {

ProvenanceInputs small_inputs() {
    auto h = [](std::string_view s) { return hex(sha256(s)); };
    ProvenanceInputs in;
    in.subjects = {{"out/a.bin", h("a"), "", ""}};
    in.build_request = R"({"nonce":"n-1","source":{"uri":"https://example.org/r.git","ref":"main"}})";
    in.source_uri = "https://example.org/r.git";
    in.git_commit = std::string(40, 'a');
    in.git_tree = std::string(40, 'b');
    in.toolchain = {"rootfs.tar", h("t"), "", ""};
    in.input_disk_sha256 = h("disk");
    in.internal_parameters = {{"limits", {{"cpuSeconds", 60}}}};
    in.init_version = "0.1.0";
    in.kernel_version = "6.12.0";
    in.image = {h("k"), h("i"), "console=ttyS0", "", false};
    in.vm = {1, 1000, "cpu"};
    in.invocation_id = "inv-1";
    in.started_on = "2026-01-01T00:00:00Z";
    in.finished_on = "2026-01-01T00:01:00Z";
    in.build_log_sha256 = h("log");
    return in;
}

AttestOptions no_backends(const fs::path& root) {
    AttestOptions o;
    o.tsm_report_root = (root / "no-tsm").string();
    o.sev_guest_device = (root / "no-sev-guest").string();
    o.virtio_ports_root = (root / "no-ports").string();
    return o;
}

}  // namespace

TEST_CASE("attest_build: configfs-tsm SNP end to end; the report binds payload and key", "[attest]") {
    test::TempDir t;
    const fs::path tp(t.path);
    FakeTsm fake;
    fake.aux = build_snp_cert_table({{"vcek", Bytes{1}}, {"ask", Bytes{2}}, {"ark", Bytes{3}}});
    fake.host_data = sha256(std::string_view("disk"));  // the host set HOST_DATA = SHA-256(input disk)
    AttestOptions o = no_backends(tp);
    fs::create_directories(tp / "tsm");
    o.tsm_report_root = (tp / "tsm").string();
    o.tsm_ops = fake.ops();
    AttestResult res = attest_build(small_inputs(), o);
    CHECK(res.attested);
    CHECK(res.error.empty());
    CHECK(res.mode == AttestMode::snp);
    CHECK(res.platform == "snp");
    CHECK(res.backend == "configfs-tsm");
    CHECK(res.host_data_matches);

    // A verifier's view: only the two files.
    DsseEnvelope env = dsse_parse_envelope(res.envelope_jsonl);
    Evidence ev = parse_evidence(res.evidence_json);
    CHECK(ev.platform == "snp");
    REQUIRE(ev.certificates.size() == 3);
    Bytes spki = public_pem_to_spki_der(ev.signing_key_pem);
    CHECK(env.signatures.at(0).keyid == hex(sha256(spki)));
    CHECK(dsse_verify(spki, env.payload_type, env.payload, env.signatures[0].sig));
    CHECK(binding_matches(report_data_of(ev.platform, ev.report), env.payload, spki));
    CHECK(to_string(env.payload) == res.statement);
    Json st = parse_strict(res.statement);
    CHECK(check_statement(st).empty());
    CHECK(st["predicate"]["runDetails"]["builder"]["id"] == "https://kettle-build.org/builders/snp/v1");
    CHECK(st["predicate"]["buildDefinition"]["externalParameters"]["nonce"] == "n-1");
}

TEST_CASE("attest_build: no backend gives mode none; a failing backend falls back to none", "[attest]") {
    test::TempDir t;
    const fs::path tp(t.path);
    AttestResult res = attest_build(small_inputs(), no_backends(tp));
    CHECK_FALSE(res.attested);
    CHECK(res.mode == AttestMode::none);
    CHECK(res.error.empty());
    Evidence ev = parse_evidence(res.evidence_json);
    CHECK(ev.platform == "none");
    CHECK(ev.report.empty());
    CHECK(parse_strict(res.statement)["predicate"]["runDetails"]["builder"]["id"] ==
          "https://kettle-build.org/builders/none/v1");
    DsseEnvelope env = dsse_parse_envelope(res.envelope_jsonl);
    CHECK(dsse_verify(as_bytes(ev.signing_key_pem), env.payload_type, env.payload, env.signatures.at(0).sig));

    FakeTsm fake;
    fake.bump_generation_on_outblob = 1;
    AttestOptions o = no_backends(tp);
    fs::create_directories(tp / "tsm");
    o.tsm_report_root = (tp / "tsm").string();
    o.tsm_ops = fake.ops();
    AttestResult bad = attest_build(small_inputs(), o);
    CHECK_FALSE(bad.attested);
    CHECK(bad.mode == AttestMode::none);
    CHECK(bad.backend == "configfs-tsm");
    CHECK(bad.error.find("generation") != std::string::npos);
    CHECK(parse_evidence(bad.evidence_json).platform == "none");
    CHECK(parse_strict(bad.statement)["predicate"]["runDetails"]["builder"]["id"] ==
          "https://kettle-build.org/builders/none/v1");

    ProvenanceInputs broken = small_inputs();
    broken.subjects.clear();
    CHECK_THROWS_AS(attest_build(broken, no_backends(tp)), Error);
}

TEST_CASE("attest_build: simulated AMD-SP found by port name and used through its device node", "[attest][sim]") {
    test::TempDir t;
    const fs::path tp(t.path);
    // A pseudo-terminal in raw mode stands in for the virtio-serial character device.
    int master = ::posix_openpt(O_RDWR | O_NOCTTY);
    REQUIRE(master >= 0);
    REQUIRE(::grantpt(master) == 0);
    REQUIRE(::unlockpt(master) == 0);
    std::string slave = ::ptsname(master);
    // Keep one slave fd open for the whole test: when the last one closes, reads on the master fail with EIO.
    int keep = ::open(slave.c_str(), O_RDWR | O_NOCTTY);
    REQUIRE(keep >= 0);
    termios tio{};
    REQUIRE(::tcgetattr(keep, &tio) == 0);
    ::cfmakeraw(&tio);
    REQUIRE(::tcsetattr(keep, TCSANOW, &tio) == 0);
    AttestOptions o = no_backends(tp);
    fs::create_directories(tp / "ports" / "vport1p1");
    write_file((tp / "ports/vport1p1/name").string(), "org.kettle.amdsp.0\n");
    fs::create_directories(tp / "dev");
    fs::create_symlink(slave, tp / "dev" / "vport1p1");
    o.virtio_ports_root = (tp / "ports").string();
    o.dev_root = (tp / "dev").string();
    o.sim_timeout_ms = 5000;
    Bytes table = build_snp_cert_table({{"vcek", Bytes{9}}});
    std::thread th = serve_once(master, [&](const Json& req) {
        Bytes rep = fake_snp_report(unhex(req["report_data"].get<std::string>()));
        return jcs(Json{{"type", "snp-report-response"}, {"report", base64_encode(rep)},
                        {"cert_table", base64_encode(table)}}) + "\n";
    });
    AttestResult res = attest_build(small_inputs(), o);
    th.join();
    ::close(master);
    ::close(keep);
    INFO(res.error);
    CHECK(res.attested);
    CHECK(res.mode == AttestMode::sim);
    CHECK(res.backend == "sim-amdsp");
    Evidence ev = parse_evidence(res.evidence_json);
    CHECK(ev.platform == "sim-snp");
    REQUIRE(ev.certificates.size() == 1);
    DsseEnvelope env = dsse_parse_envelope(res.envelope_jsonl);
    Bytes spki = public_pem_to_spki_der(ev.signing_key_pem);
    CHECK(binding_matches(report_data_of(ev.platform, ev.report), env.payload, spki));
    CHECK(parse_strict(res.statement)["predicate"]["runDetails"]["builder"]["id"] ==
          "https://kettle-build.org/builders/sim/v1");
}

TEST_CASE("REPORT_DATA and HOST_DATA offsets: real SNP sample and fake TDX quotes", "[attest]") {
    Bytes rd(64);
    for (int i = 0; i < 64; ++i) rd[i] = static_cast<std::uint8_t>(0x40 + i);
    Bytes q = fake_tdx_quote(rd);
    CHECK(Bytes(report_data_of("tdx", q).begin(), report_data_of("tdx", q).end()) == rd);
    Bytes disk = sha256(std::string_view("disk"));
    std::memcpy(q.data() + 0x30 + 0xB8, disk.data(), 32);
    CHECK(host_data_matches("tdx", q, disk));
    q[0x30 + 0xB8 + 40] = 1;  // MRCONFIGID[32:48] must be zero
    CHECK_FALSE(host_data_matches("tdx", q, disk));
    q[0] = 3;
    CHECK_THROWS_AS(report_data_of("tdx", q), Error);
    CHECK_THROWS_AS(report_data_of("snp", Bytes(100)), Error);
    CHECK_THROWS_AS(report_data_of("none", Bytes(2000)), Error);
    Bytes snp = fake_snp_report(rd, disk);
    CHECK(host_data_matches("snp", snp, disk));
    CHECK_FALSE(host_data_matches("snp", snp, sha256(std::string_view("other"))));

    // The guest's record of the host binding: an all-zero MRCONFIGID (GCP cannot set it) is no host commitment,
    // not a mismatch; a non-zero one that differs stays a mismatch; an all-zero SNP HOST_DATA is a mismatch.
    Bytes t = fake_tdx_quote(rd);
    CHECK(host_commitment("tdx", t, disk) == "none");
    std::memcpy(t.data() + 0x30 + 0xB8, disk.data(), 32);
    CHECK(host_commitment("tdx", t, disk) == "matches");
    t[0x30 + 0xB8] ^= 1;
    CHECK(host_commitment("tdx", t, disk) == "differs");
    t[0x30 + 0xB8] ^= 1;
    t[0x30 + 0xB8 + 47] = 1;
    CHECK(host_commitment("tdx", t, disk) == "differs");
    CHECK(host_commitment("snp", snp, disk) == "matches");
    CHECK(host_commitment("snp", fake_snp_report(rd, Bytes(32, 0)), disk) == "differs");

    // go-sev-guest's hardware sample: REPORT_DATA is 01 02 03 04 05 then zeros (tests/data/snp/README.md).
    Bytes real = read_file(test::fixture("snp/go-sev-guest-milan-v2") + "/report.bin");
    ByteView got = report_data_of("snp", real);
    CHECK(hex(got.first(5)) == "0102030405");
}
