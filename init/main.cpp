// Guest PID 1 (static musl): mount, check the command line, ingest the input disk, check out the source, run the
// build in its sandbox, collect artifacts, attest, write the output disk, power off. See docs/formats.md.
// PID 1 never exits and never returns: every path ends in power_off(), and every failure is written as status.
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <optional>
#include <fcntl.h>
#include <string>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "attest_hook.hpp"
#include "boot_log.hpp"
#include "disks.hpp"
#include "guest.hpp"
#include "jail.hpp"
#include "deps_phase.hpp"
#include "parser_phases.hpp"
#include "kettle/disk/artifacts.hpp"
#include "kettle/disk/format.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/core/text.hpp"
#include "kettle/version.hpp"

#include "cmdline.hpp"
#include "verity.hpp"

using namespace kettle;
using namespace kettle::init;

namespace {

constexpr uid_t kBuildUid = 1000;
constexpr gid_t kBuildGid = 1000;

[[noreturn]] void power_off() {
    std::fflush(stdout);
    std::fflush(stderr);
    ::sync();
    if (::getpid() == 1) {
        ::reboot(RB_POWER_OFF);
        for (;;) ::pause();
    }
    std::_Exit(0);
}

std::uint64_t now_ms() {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::steady_clock::now().time_since_epoch())
                                          .count());
}

void mount_fs(const char* src, const char* dst, const char* type, unsigned long flags, const char* data,
              bool required) {
    ::mkdir(dst, 0755);
    if (::mount(src, dst, type, flags, data) != 0 && errno != EBUSY) {
        std::string msg = std::string("mount ") + type + " on " + dst + ": " + std::strerror(errno);
        if (required) throw Error(msg);
        say(msg);
    }
}

Json member_json(const DiskMember& m) { return Json{{"name", m.name}, {"size", m.size}, {"sha256", hex(m.sha256)}}; }

struct Run {
    std::string phase = "boot";
    std::uint64_t t0 = now_ms(), phase_t0 = t0;
    Json timings = Json::object();
    Json status = Json::object();

    void enter(const std::string& p) {
        std::uint64_t t = now_ms();
        timings[phase] = t - phase_t0;
        phase = p;
        phase_t0 = t;
        phase_marker(p);
    }
};

/// Write status.json, build.log and (when given) the artifacts and attestation files. On any failure, start
/// over with only status.json and the log tail, shortened to fit.
void write_output(int fd, std::uint64_t size, Run& run, const std::vector<Artifact>* artifacts,
                  const BuildRecord* record) {
    // build.log is frozen here: the provenance records the digest of exactly these bytes.
    const std::string log = build_log().tail();
    try {
        OutputWriter w(fd, size);
        if (artifacts) {
            Json list = Json::array();
            for (const auto& a : *artifacts) {
                DiskMember m = w.add_file("artifacts/" + a.name, a.path);
                if (m.sha256 != a.sha256 || m.size != a.size)
                    throw Error("output: artifact " + a.name + " changed after it was hashed");
                list.push_back(Json{{"name", a.name}, {"size", a.size}, {"sha256", hex(a.sha256)}});
            }
            run.status["artifacts"] = list;
        }
        if (record) {
            run.enter("attest");
            BuildRecord rec = *record;
            rec.build_log = &log;
            attest_and_write(rec, w, run.status);
            run.enter("output");
        }
        w.add_bytes("build.log", log);
        run.status["log"] = Json{{"bytes_total", build_log().total()}, {"truncated", build_log().truncated()}};
        run.status["timings_ms"] = run.timings;
        run.status["timings_ms"]["total"] = now_ms() - run.t0;
        w.add_bytes("status.json", dump_text(run.status, 2) + "\n");
        w.finish();
        return;
    } catch (const std::exception& e) {
        say(std::string("writing the output disk failed: ") + e.what() + "; writing status and log only");
        if (run.status.value("ok", false)) {
            run.status["ok"] = false;
            run.status["error"] = e.what();
        }
        run.status["phase"] = run.phase;
        if (run.status.value("error", std::string()).empty()) run.status["error"] = e.what();
        run.status.erase("artifacts");
    }
    try {
        OutputWriter w(fd, size);
        std::string st = dump_text(run.status, 2) + "\n";
        std::string short_log = log;
        std::uint64_t room = w.remaining() > st.size() + 4096 ? w.remaining() - st.size() - 4096 : 0;
        if (short_log.size() > room)
            short_log = "[kettle: log cut to fit the output disk]\n" + short_log.substr(short_log.size() - room);
        w.add_bytes("build.log", short_log);
        w.add_bytes("status.json", st);
        w.finish();
    } catch (const std::exception& e) {
        say(std::string("writing the output disk failed again: ") + e.what());
    }
}

/// The collect phase (docs/formats.md 1.5): the artifacts the request's patterns record under /src. A matched link
/// that cannot be followed and a pattern that records nothing are warnings (status.json "warnings" and the
/// console), unless the request has require_artifacts: then the first pattern that recorded nothing fails the
/// build. Throws when no pattern recorded anything (the statement needs at least one subject).
std::vector<Artifact> collect_phase(const BuildRequest& req, Json& status) {
    if (req.artifacts.empty()) return {};
    ArtifactCollection c = gather_artifacts("/src", req.artifacts);
    Json warnings = Json::array();
    for (const auto& w : c.warnings) warnings.push_back(w);
    for (const auto& p : c.unmatched) warnings.push_back(unmatched_warning(p));
    for (const auto& w : warnings) say("warning: " + w.get<std::string>());
    if (!warnings.empty()) status["warnings"] = warnings;
    if (req.require_artifacts && !c.unmatched.empty())
        throw Error("artifacts: pattern " + quote_text(c.unmatched.front()) +
                    " matched no regular file (the request requires every pattern to match)");
    if (c.artifacts.empty())
        throw Error("artifacts: no pattern matched a regular file (nor a link to one inside /src): nothing to attest");
    return std::move(c.artifacts);
}

void pid1() {
    Run run;
    run.status["version"] = kOutputFormatVersion;
    run.status["init_version"] = kVersion;
    run.status["ok"] = false;
    int out_fd = -1;
    std::uint64_t out_size = 0;
    std::vector<Artifact> artifacts;
    bool have_artifacts = false;
    BuildRecord record;
    record.started_unix = static_cast<std::int64_t>(::time(nullptr));
    bool have_record = false;
    IngestResult inputs;
    try {
        phase_marker("boot");
        mount_fs("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr, true);
        mount_fs("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr, true);
        mount_fs("devtmpfs", "/dev", "devtmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755", true);
        mount_fs("configfs", "/sys/kernel/config", "configfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr, false);
        mount_fs("cgroup2", "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr, true);
        // securityfs: the TPM's event log (/sys/kernel/security/tpm0/binary_bios_measurements), when a TPM exists.
        mount_fs("securityfs", "/sys/kernel/security", "securityfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr, false);
        std::uint64_t mem = meminfo_kib("MemTotal:") * 1024;
        record.vm_memory_bytes = mem;
        record.vcpus = static_cast<unsigned>(::get_nprocs());
        std::string work_opts = "mode=0700,size=" + std::to_string(workspace_tmpfs_bytes());
        std::string src_opts = "mode=0755,size=" + std::to_string(mem / 100 * 50);
        mount_fs("tmpfs", "/work", "tmpfs", MS_NOSUID | MS_NODEV, work_opts.c_str(), true);
        mount_fs("tmpfs", "/src", "tmpfs", MS_NOSUID | MS_NODEV, src_opts.c_str(), true);
        run.status["vm"] = Json{{"memory_bytes", mem}, {"vcpus", record.vcpus}};

        // The disks, found by content on any bus (init/disks.cpp, docs/formats.md §0). The output disk is opened
        // early, so every later failure can be reported on it.
        const FoundDisks disks = find_kettle_disks();
        say(disks.summary);
        std::string out_error = disks.choice.output_error;
        if (out_error.empty()) {
            out_fd = ::open(disks.choice.output.c_str(), O_RDWR | O_CLOEXEC);
            if (out_fd < 0) out_error = "cannot open the output disk " + disks.choice.output + ": " + std::strerror(errno);
            else out_size = fd_size(out_fd, disks.choice.output);
        }

        // The command line must be the one built into the image: the firmware would pass any -append.
        run.enter("cmdline");
        record.kernel_cmdline = read_text_file("/proc/cmdline", 8192);
        if (!cmdline_matches(record.kernel_cmdline)) {
            std::string got = record.kernel_cmdline;
            if (!got.empty() && got.back() == '\n') got.pop_back();
            std::printf("KETTLE-INIT REFUSED: kernel command line \"%s\" is not the built-in \"%s\"; powering off\n",
                        got.c_str(), std::string(builtin_cmdline()).c_str());
            throw Error("the kernel command line differs from the one built into the image");
        }
        // Banner, once the command line is accepted: version, kernel, and whether configfs-tsm reports exist.
        {
            utsname u{};
            ::uname(&u);
            struct stat st {};
            bool tsm = ::stat("/sys/kernel/config/tsm/report", &st) == 0 && S_ISDIR(st.st_mode);
            std::printf("KETTLE-INIT %s kernel %s tsm-report %s\n", kVersion, u.release, tsm ? "present" : "absent");
            std::fflush(stdout);
        }

        if (!out_error.empty()) throw Error(out_error);

        // The measured boot as this guest saw it (init/boot_log.cpp): copied now, written with the evidence.
        std::string boot_notes;
        record.boot = capture_boot_evidence(BootLogPaths{}, real_ioctl, boot_notes);
        run.status["boot_evidence"] = boot_evidence_summary(record.boot, boot_notes);

        run.enter("ingest");
        if (!disks.choice.input_error.empty()) throw Error(disks.choice.input_error);
        const std::string& in_dev = disks.choice.input;
        std::vector<std::string> probes = parser_probes(in_dev, disks.choice.output);
        if (!disks.choice.toolchain.empty()) probes.push_back(disks.choice.toolchain);
        int last_pct = -1;
        inputs = ingest_phase(in_dev, probes, [&](std::uint64_t done, std::uint64_t total) {
            int pct = total ? static_cast<int>(done * 100 / total) : 100;
            if (pct != last_pct) phase_marker("ingest", pct);
            last_pct = pct;
        }, run.status);
        record.inputs = &inputs;
        const BuildRequest& req = inputs.request;
        build_log().set_limit(req.log_limit_bytes);
        run.status["inputs"] = Json{{"device_size", inputs.device_size},
                                    {"device_sha256", hex(inputs.device_sha256)},
                                    {"request", member_json(inputs.request_member)},
                                    {"toolchain", req.toolchain_image ? toolchain_status_json(*req.toolchain_image, nullptr)
                                                                      : member_json(inputs.toolchain)},
                                    {"source_files", inputs.source_files},
                                    {"dependency_files", inputs.dep_files},
                                    {"files", Json::array()}};
        for (const auto& f : inputs.files) run.status["inputs"]["files"].push_back(member_json(f));
        run.status["nonce"] = req.nonce;

        // The toolchain image: its own disk, opened through dm-verity with the request's root hash, before the
        // build (a wrong root hash or a swapped disk fails here).
        std::optional<ToolchainDisk> tc;
        if (req.toolchain_image) {
            run.enter("toolchain");
            if (!disks.choice.toolchain_error.empty()) throw Error("toolchain: " + disks.choice.toolchain_error);
            if (disks.choice.toolchain.empty())
                throw Error("toolchain: the request names a toolchain image but no disk holds one (an EROFS image, "
                            "docs/formats.md §0)");
            tc = open_toolchain_image(*req.toolchain_image, disks.choice.toolchain, "/work/toolchain");
            run.status["inputs"]["toolchain"] = toolchain_status_json(tc->ref, &*tc);
        }

        run.enter("checkout");
        CheckoutResult co = checkout_phase(req.source_ref, probes, run.status);
        record.commit_id = co.commit_id;
        record.tree_id = co.tree_id;
        run.status["source"] = Json{{"uri", req.source_uri}, {"ref", req.source_ref}, {"commit", co.commit_id},
                                    {"tree", co.tree_id}};
        // Dependencies: each named ecosystem's lockfile from the checkout, every package checked against it and
        // laid out under /src by a parser child (init/deps_phase.cpp), before the build user owns /src.
        DepsResult deps;
        if (!req.dependencies.empty()) {
            run.enter("deps");
            deps = deps_phase(req.dependencies, tc ? tc->mountpoint : "/work/in/rootfs", probes, run.status);
            record.lockfiles = deps.lockfiles;
            record.packages = deps.packages;
        }
        chown_tree("/src", kBuildUid, kBuildGid);

        run.enter("build");
        SandboxConfig sc;
        sc.rootfs = tc ? tc->mountpoint : "/work/in/rootfs";
        sc.src = "/src";
        sc.files = "/work/in/files";
        sc.request = req;
        sc.uid = kBuildUid;
        sc.gid = kBuildGid;
        std::uint64_t avail = meminfo_kib("MemAvailable:") * 1024;
        std::uint64_t reserve = 48u << 20;
        std::uint64_t cap = avail > reserve + (32u << 20) ? avail - reserve : (32u << 20);
        if (req.memory_limit_mib) {
            if (req.memory_limit_mib * (1u << 20) > cap)
                throw Error("memory_limit_mib " + std::to_string(req.memory_limit_mib) + " is more than the VM can give (" +
                            std::to_string(cap >> 20) + " MiB)");
            sc.memory_max = req.memory_limit_mib << 20;
        } else {
            sc.memory_max = cap;
        }
        sc.tmp_size = std::max<std::uint64_t>(16u << 20, sc.memory_max / 4);
        run.status["limits"] = Json{{"memory_max", sc.memory_max}, {"pids_max", req.pids_limit},
                                    {"timeout_seconds", req.timeout_seconds}};
        record.limits = run.status["limits"];
        record.sandbox = Json{{"uid", sc.uid}, {"gid", sc.gid}, {"tmp_size", sc.tmp_size},
                              {"namespaces", Json::array({"mount", "pid", "ipc", "uts", "net"})},
                              {"no_new_privs", true}, {"capabilities", Json::array()}, {"network", "loopback only"},
                              {"devices", Json::array({"null", "zero", "full", "random", "urandom", "tty"})}};
        say("running the build as uid " + std::to_string(kBuildUid));
        SandboxResult br = run_sandbox(sc);
        run.status["exit_code"] = br.exit_code;
        run.status["signal"] = br.signal;
        run.status["timed_out"] = br.timed_out;
        run.status["oom_killed"] = br.oom_killed;
        record.exit_code = br.exit_code;
        if (tc) {
            // dm-verity failed any read of a block that did not match; whatever the build made of that is void.
            bool corrupted = toolchain_corrupted();
            run.status["inputs"]["toolchain"]["verity"] = corrupted ? "corrupted" : "verified";
            if (corrupted) throw Error(toolchain_integrity_error(*tc));
        }
        if (!br.setup_error.empty()) throw Error("sandbox setup failed: " + br.setup_error);
        if (br.timed_out) throw Error("the build timed out after " + std::to_string(req.timeout_seconds) + " s");
        if (br.oom_killed) throw Error("the build ran out of memory (memory.max " + std::to_string(sc.memory_max) + ")");
        if (br.exit_code != 0) throw Error("the build exited with code " + std::to_string(br.exit_code));
        say("build finished with exit code 0");

        run.enter("collect");
        artifacts = collect_phase(req, run.status);
        have_artifacts = true;
        record.artifacts = artifacts;
        have_record = true;

        run.enter("output");
        run.status["ok"] = true;
        run.status["phase"] = "done";
        run.status["error"] = "";
    } catch (const std::exception& e) {
        run.status["ok"] = false;
        run.status["phase"] = run.phase;
        run.status["error"] = e.what();
        say("FAILED in phase " + run.phase + ": " + std::string(without_phase_prefix(e.what(), run.phase)));
    } catch (...) {
        run.status["ok"] = false;
        run.status["phase"] = run.phase;
        run.status["error"] = "unknown failure";
    }
    if (run.phase != "output") run.enter("output");
    if (out_fd >= 0) {
        write_output(out_fd, out_size, run, have_artifacts ? &artifacts : nullptr, have_record ? &record : nullptr);
        ::fsync(out_fd);
    } else {
        std::printf("KETTLE-STATUS %s\n", dump_text(run.status).c_str());
    }
    bool ok = run.status.value("ok", false);
    std::printf("KETTLE-RESULT %s phase=%s\n", ok ? "ok" : "failed", run.status.value("phase", "?").c_str());
    phase_marker("poweroff");
}

}  // namespace

int main() {
    if (::getpid() != 1) {
        std::fprintf(stderr, "kettle-init %s: this is the guest's PID 1; it only runs as PID 1 in the VM\n", kVersion);
        return 2;
    }
    std::set_terminate([] {
        std::printf("KETTLE-RESULT failed phase=internal\n");
        power_off();
    });
    std::signal(SIGPIPE, SIG_IGN);
    std::printf("kettle-init %s\n", kVersion);
    try {
        pid1();
    } catch (...) {
        std::printf("KETTLE-RESULT failed phase=internal\n");
    }
    power_off();
}
