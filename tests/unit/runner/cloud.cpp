// The gcp-tdx profile without a cloud: the gcloud argv of each step (flags as Google's reference pages document
// them: cloud.google.com/sdk/gcloud/reference/compute/instances/create, .../images/create, .../images/export,
// .../disks/create, .../instances/get-serial-port-output), names, the resource list and its cleanup order, and the
// defensive reading of an exported disk (archives made with GNU tar and gzip, the tools GCP's format is defined by).
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "cloud_disk.hpp"
#include "cloud_gcloud.hpp"
#include "cloud_ledger.hpp"
#include "kettle/core/bytes.hpp"
#include "kettle/core/error.hpp"
#include "kettle/disk/roles.hpp"
#include "progress.hpp"
#include "run_options.hpp"
#include "test_support.hpp"

using namespace kettle;
using namespace kettle::runner;
using Catch::Matchers::ContainsSubstring;

namespace {

GcpTarget target() {
    GcpTarget t;
    t.project = "my-project";
    t.zone = "us-central1-a";
    t.bucket = "my-bucket";
    return t;
}

bool has(const Argv& a, const std::string& w) { return std::find(a.begin(), a.end(), w) != a.end(); }

Bytes head_of(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    Bytes b(4096);
    f.read(reinterpret_cast<char*>(b.data()), static_cast<std::streamsize>(b.size()));
    b.resize(static_cast<std::size_t>(f.gcount()));
    return b;
}

}  // namespace

TEST_CASE("the TDX instance: confidential, terminate on maintenance, no IP, no credentials, disks ro/rw", "[cloud]") {
    CloudNames n = cloud_names("r0123456789ab", "my-bucket");
    Argv a = gcloud_instance_create(target(), n, "kettle-boot-abc", 10);
    CHECK(Argv(a.begin(), a.begin() + 5) == Argv{"gcloud", "compute", "instances", "create", "kettle-r0123456789ab"});
    for (const char* f : {"--confidential-compute-type=TDX", "--maintenance-policy=TERMINATE", "--no-address",
                          "--no-shielded-secure-boot", "--no-service-account", "--no-scopes",
                          "--metadata=serial-port-logging-enable=true", "--machine-type=c3-standard-4",
                          "--zone=us-central1-a", "--project=my-project", "--image=kettle-boot-abc",
                          "--disk=name=kettle-r0123456789ab-input,mode=ro,boot=no,auto-delete=no",
                          "--disk=name=kettle-r0123456789ab-output,mode=rw,boot=no,auto-delete=no",
                          "--labels=kettle-run=r0123456789ab", "--boot-disk-size=10GB"})
        CHECK(has(a, f));
}

TEST_CASE("images: a TDX boot image carries UEFI_COMPATIBLE,TDX_CAPABLE; export and describe", "[cloud]") {
    GcpTarget t = target();
    Argv boot = gcloud_image_create_from_uri(t, "kettle-boot-x", "gs://my-bucket/kettle/images/x.tar.gz", true,
                                             "kettle=boot", "d");
    CHECK(has(boot, "--guest-os-features=UEFI_COMPATIBLE,TDX_CAPABLE"));
    CHECK(has(boot, "--source-uri=gs://my-bucket/kettle/images/x.tar.gz"));
    Argv data = gcloud_image_create_from_uri(t, "kettle-r1-input", "gs://b/o", false, "kettle-run=r1", "d");
    CHECK_FALSE(std::any_of(data.begin(), data.end(), [](auto& w) { return w.rfind("--guest-os-features", 0) == 0; }));
    CHECK(gcloud_image_export(t, "kettle-r1-output", "gs://my-bucket/kettle/r1/output.tar.gz") ==
          Argv{"gcloud", "compute", "images", "export", "--image=kettle-r1-output",
               "--destination-uri=gs://my-bucket/kettle/r1/output.tar.gz", "--project=my-project",
               "--zone=us-central1-a"});
    CHECK(gcloud_serial_output(t, "kettle-r1", 4096) ==
          Argv{"gcloud", "compute", "instances", "get-serial-port-output", "kettle-r1", "--project=my-project",
               "--zone=us-central1-a", "--port=1", "--start=4096", "--format=json"});
    CHECK(gcloud_delete(t, "images", "kettle-r1-input") ==
          Argv{"gcloud", "compute", "images", "delete", "kettle-r1-input", "--project=my-project", "--quiet"});
    CHECK(gcloud_delete(t, "disks", "kettle-r1-input") ==
          Argv{"gcloud", "compute", "disks", "delete", "kettle-r1-input", "--project=my-project",
               "--zone=us-central1-a", "--quiet"});
    CHECK(boot_image_name(std::string(64, 'f')) == "kettle-boot-" + std::string(48, 'f'));
    CHECK_NOTHROW(check_gce_name(blank_image_name(std::string(64, 'a')), "image"));
}

TEST_CASE("run ids, names and targets that would reach gcloud's argv are checked", "[cloud]") {
    CHECK_NOTHROW(check_run_id("nightly-12"));
    for (const char* bad : {"", "-x", "x-", "UPPER", "a b", "a/b", "--zone=evil", "123456789012345678901234567890123"})
        CHECK_THROWS_AS(check_run_id(bad), Error);
    CHECK(new_run_id().size() == 13);
    CHECK(new_run_id() != new_run_id());
    GcpTarget t = target();
    CHECK_NOTHROW(check_target(t));
    t.bucket = "gs://my-bucket";
    CHECK_THROWS_WITH(check_target(t), ContainsSubstring("without gs://"));
    t = target();
    t.project = "";
    CHECK_THROWS_WITH(check_target(t), ContainsSubstring("--project is required"));
    t = target();
    t.zone = "us-central1-a --quiet";
    CHECK_THROWS_AS(check_target(t), Error);
    CHECK(shell_line({"gcloud", "x", "--description=a b", "it's"}) == "gcloud x '--description=a b' 'it'\\''s'");
}

TEST_CASE("kettle run --profile gcp-tdx: required flags, and QEMU-only or cloud-only flags refused", "[cloud][run]") {
    Argv base{"--source", ".", "--toolchain", "t.tar", "--out", "o"};
    auto with = [&](Argv extra) { Argv a = base; a.insert(a.end(), extra.begin(), extra.end()); a.push_back("--");
                                  a.push_back("make"); return a; };
    RunOptions o = parse_run_args(with({"--profile", "gcp-tdx", "--project", "p", "--zone", "us-central1-a", "--bucket", "b"}));
    CHECK(o.gcp_tdx);
    CHECK(run_profile_name(o) == "gcp-tdx");
    CHECK(o.gcp.target.machine_type == "c3-standard-4");
    CHECK(o.timeout == 600);  // hardware: the tdx default, not tcg's 3600
    CHECK(o.gcp.min_disk_gb == 10);
    CHECK_FALSE(o.gcp.small_disks);
    CHECK(o.gcp.sizing().unit == kGiB);
    CHECK(parse_run_args(with({"--profile", "gcp-tdx", "--project", "p", "--zone", "us-central1-a", "--bucket", "b",
                               "--small-disks-for-testing"})).gcp.sizing().size_flag(3) == "3MB");
    CHECK_THROWS_WITH(parse_run_args(with({"--small-disks-for-testing"})), ContainsSubstring("for --profile gcp-tdx"));
    CHECK_THROWS_WITH(parse_run_args(with({"--profile", "gcp-tdx", "--zone", "us-central1-a", "--bucket", "b"})),
                      ContainsSubstring("--project is required"));
    CHECK_THROWS_WITH(parse_run_args(with({"--project", "p"})), ContainsSubstring("for --profile gcp-tdx"));
    CHECK_THROWS_WITH(parse_run_args(with({"--profile", "gcp-tdx", "--project", "p", "--zone", "us-central1-a", "--bucket", "b",
                                           "--boot", "disk"})),
                      ContainsSubstring("QEMU options"));
}

TEST_CASE("the resource list: cleanup newest first, a failed delete of a gone resource counts", "[cloud]") {
    test::TempDir d;
    const std::string path = d / "cloud-resources.json";
    {
        Ledger l(path, target(), "r1");
        l.creating("objects", "gs://my-bucket/kettle/r1/input.tar.gz");
        l.set("objects", "gs://my-bucket/kettle/r1/input.tar.gz", "deleted");
        l.creating("images", "kettle-r1-input");
        l.creating("disks", "kettle-r1-input");
        l.creating("instances", "kettle-r1");
    }
    Ledger l = Ledger::load(path);
    std::vector<std::string> calls;
    auto left = cleanup_ledger(l, [&](const Argv& a) {
        calls.push_back(a[2] + " " + a[3] + " " + a[4]);
        if (a[3] == "delete" && a[2] == "disks") return 1;    // delete fails ...
        if (a[3] == "describe" && a[2] == "disks") return 1;  // ... because the disk is gone
        return 0;
    });
    CHECK(left.empty());
    CHECK(calls == std::vector<std::string>{"instances delete kettle-r1", "disks delete kettle-r1-input",
                                            "disks describe kettle-r1-input", "images delete kettle-r1-input"});
    const Ledger after = Ledger::load(path);  // a named Ledger: entries() refers into it
    for (const auto& e : after.entries()) CHECK(e.state == "deleted");
    // A delete that fails while the resource still exists is reported, and stays listed.
    Ledger l2(path, target(), "r1");
    l2.creating("disks", "kettle-r1-output");
    CHECK(cleanup_ledger(l2, [](const Argv& a) { return a[3] == "delete" ? 1 : 0; }) ==
          std::vector<std::string>{"disks/kettle-r1-output"});
}

TEST_CASE("a tampered resource list cannot name other resources or smuggle flags", "[cloud]") {
    test::TempDir d;
    auto load_with = [&](const std::string& kind, const std::string& name) {
        Json j{{"version", 1}, {"project", "my-project"}, {"zone", "us-central1-a"}, {"bucket", "my-bucket"},
               {"run_id", "r1"}, {"resources", Json::array({{{"kind", kind}, {"name", name}, {"state", "created"}}})}};
        write_file(d / "l.json", dump_text(j));
        return Ledger::load(d / "l.json");
    };
    CHECK_NOTHROW(load_with("disks", "kettle-r1-input"));
    CHECK_THROWS_WITH(load_with("disks", "production-db"), ContainsSubstring("not a Kettle resource"));
    CHECK_THROWS_AS(load_with("disks", "--zone=x"), Error);
    CHECK_THROWS_AS(load_with("networks", "kettle-x"), Error);
    CHECK_THROWS_WITH(load_with("objects", "gs://other-bucket/data"), ContainsSubstring("not one of this run's"));
    CHECK_THROWS_AS(load_with("objects", "gs://my-bucket/kettle/r1/**"), Error);
    CHECK_THROWS_AS(load_with("objects", "gs://my-bucket/kettle/r1/../../x"), Error);
}

TEST_CASE("an exported disk: exactly one regular disk.raw, bounded, holes kept", "[cloud][disk]") {
    test::TempDir d;
    auto sh = [&](const std::string& cmd) {
        auto [st, out] = run_capture({"sh", "-c", "cd '" + std::string(d.path) + "' && " + cmd});
        REQUIRE(st == 0);
    };
    std::filesystem::create_directories(d / "a");
    write_blank_output_raw(d / "a/disk.raw");
    sh("tar --format=oldgnu -S -C a -czf good.tar.gz disk.raw");
    extract_gcp_disk(d / "good.tar.gz", d / "out.raw", kGiB);
    CHECK(std::filesystem::file_size(d / "out.raw") == kGiB);
    CHECK(classify_disk(head_of(d / "out.raw")) == DiskRole::output);
    CHECK_THROWS_WITH(extract_gcp_disk(d / "good.tar.gz", d / "out2.raw", kGiB - 1), ContainsSubstring("larger than"));
    sh("mkdir -p b && echo x > b/disk.raw && echo y > b/other && tar -C b -czf two.tar.gz disk.raw other");
    CHECK_THROWS_WITH(extract_gcp_disk(d / "two.tar.gz", d / "o.raw", kGiB), ContainsSubstring("more than one"));
    sh("mkdir -p c && ln -sf /etc/passwd c/disk.raw && tar -C c -czf link.tar.gz disk.raw");
    CHECK_THROWS_WITH(extract_gcp_disk(d / "link.tar.gz", d / "o.raw", kGiB), ContainsSubstring("not a regular file"));
    sh("mkdir -p e && echo x > e/image.raw && tar -C e -czf name.tar.gz image.raw");
    CHECK_THROWS_WITH(extract_gcp_disk(d / "name.tar.gz", d / "o.raw", kGiB), ContainsSubstring("not disk.raw"));
    sh("tar -C b -cf plain.tar disk.raw && xz -c plain.tar > xz.tar.xz || true");
    if (std::filesystem::exists(d / "xz.tar.xz"))
        CHECK_THROWS_AS(extract_gcp_disk(d / "xz.tar.xz", d / "o.raw", kGiB), Error);
}

TEST_CASE("GCP's import form of a disk: disk.raw, oldgnu sparse, gzip without name or time", "[cloud][disk]") {
    test::TempDir d;
    write_blank_output_raw(d / "blank.raw");
    CHECK(pad_disk(d / "blank.raw", DiskSizing::gcp(2)) == 2);
    pack_gcp_disk(d / "blank.raw", d / "blank.tar.gz", d / "scratch");
    Bytes gz = read_file(d / "blank.tar.gz", 1 << 20);
    REQUIRE(gz.size() > 10);
    CHECK((gz[0] == 0x1f && gz[1] == 0x8b && gz[4] == 0 && gz[5] == 0 && gz[6] == 0 && gz[7] == 0));  // no MTIME
    auto [st, listing] = run_capture({"tar", "-tvzf", d / "blank.tar.gz"});
    CHECK(st == 0);
    CHECK_THAT(listing, ContainsSubstring("0/0") && ContainsSubstring("2147483648") && ContainsSubstring("disk.raw"));
    extract_gcp_disk(d / "blank.tar.gz", d / "back.raw", 2 * kGiB);
    CHECK(std::filesystem::file_size(d / "back.raw") == 2 * kGiB);
    CHECK(classify_disk(head_of(d / "back.raw")) == DiskRole::output);
}

TEST_CASE("disk sizing: whole GiB at least the minimum on GCP, whole MiB for the fake cloud", "[cloud][disk]") {
    const DiskSizing gcp = DiskSizing::gcp(10), small = DiskSizing::for_tests();
    CHECK(gcp.units_for(1) == 10);
    CHECK(gcp.units_for(11 * kGiB) == 11);
    CHECK(gcp.units_for(11 * kGiB + 1) == 12);
    CHECK(gcp.size_flag(12) == "12GB");
    CHECK(small.units_for(0) == 1);
    CHECK(small.units_for(3 * kMiB + 512) == 4);
    CHECK(small.size_flag(4) == "4MB");
    test::TempDir d;
    write_file(d / "in.raw", std::string(5000, 'x'));
    CHECK(pad_disk(d / "in.raw", small) == 1);
    CHECK(std::filesystem::file_size(d / "in.raw") == kMiB);
    CHECK(pad_disk(d / "in.raw", gcp) == 10);
    CHECK(std::filesystem::file_size(d / "in.raw") == 10 * kGiB);
    Bytes head = head_of(d / "in.raw");
    CHECK(std::all_of(head.begin(), head.end(), [](std::uint8_t b) { return b == 'x'; }));  // content kept
    write_blank_output_raw(d / "blank.raw", kMiB);
    CHECK(std::filesystem::file_size(d / "blank.raw") == kMiB);
    CHECK(classify_disk(head_of(d / "blank.raw")) == DiskRole::output);
}

TEST_CASE("gcp-tdx: --zone must look like a zone; the zone check is the second command", "[cloud]") {
    for (const char* z : {"us-central1-a", "europe-west4-b", "northamerica-northeast1-c", "me-central2-a"})
        CHECK_NOTHROW(check_zone(z));
    for (const char* z : {"us-central1", "us-central1-", "central1-a", "us-centrala-a", "-a", "a", "us-central1-ab", ""})
        CHECK_THROWS_WITH(check_zone(z), ContainsSubstring("a zone is a region and a letter"));
    const Argv a = gcloud_zone_describe(target());
    CHECK(a == Argv{"gcloud", "compute", "zones", "describe", target().zone, "--project=" + target().project,
                    "--format=value(status)"});
}
