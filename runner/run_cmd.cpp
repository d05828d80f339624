// `kettle run`: write the input disk, launch the VM of the chosen profile, serve the simulated AMD-SP,
// show progress, collect the output disk into --out. docs/architecture.md §1, README "Profiles".
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <optional>

#include "commands.hpp"
#include "kettle/core/bytes.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/core/json.hpp"
#include "kettle/core/text.hpp"
#include "kettle/core/x509.hpp"
#include "kettle/version.hpp"
#include "cloud_cmd.hpp"
#include "deps_fetch.hpp"
#include "progress.hpp"
#include "qemu.hpp"
#include "run_options.hpp"
#include "run_summary.hpp"
#include "toolchain_recipe.hpp"
#include "sim_amdsp.hpp"

#include "kettle/disk/format.hpp"
#include "kettle/disk/roles.hpp"
#include "kettle/snp/measure.hpp"

namespace fs = std::filesystem;

namespace kettle::cli {

using namespace kettle::runner;

namespace {

// Infrastructure failure (exit 3), as opposed to kettle::Error (usage or input, exit 2).
struct InfraError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

std::string git_out(const std::string& repo, std::vector<std::string> args, const char* what) {
    std::vector<std::string> argv{"git", "-C", repo};
    argv.insert(argv.end(), args.begin(), args.end());
    auto [st, out] = run_capture(argv);
    if (st == -1) throw InfraError("cannot run git");
    if (st != 0) throw Error(std::string("source: ") + what + " failed in " + repo);
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    return out;
}

struct SourceInfo {
    std::string commit;
    std::vector<std::string> dirty;  // `git status --porcelain` lines
    std::string bare_repo;           // exported bare repository (only objects reachable from commit)
};

// Resolve the revision, check the work tree, and export a bare repository holding only the objects
// reachable from the commit (a push into a fresh bare repository transfers exactly those).
SourceInfo export_source(const std::string& src, const std::string& rev, bool allow_dirty, const std::string& dest) {
    SourceInfo si;
    si.commit = git_out(src, {"rev-parse", "--verify", "--end-of-options", rev + "^{commit}"},
                        ("resolving revision '" + rev + "'").c_str());
    if (si.commit.size() != 40 && si.commit.size() != 64) throw Error("source: unexpected commit id '" + si.commit + "'");
    std::string bare = git_out(src, {"rev-parse", "--is-bare-repository"}, "checking the repository");
    if (bare != "true") {
        std::string st = git_out(src, {"status", "--porcelain=v1", "--untracked-files=normal"}, "git status");
        std::size_t p = 0;
        while (p < st.size()) {
            auto nl = st.find('\n', p);
            std::string l = st.substr(p, nl == std::string::npos ? std::string::npos : nl - p);
            if (!l.empty()) si.dirty.push_back(l);
            if (nl == std::string::npos) break;
            p = nl + 1;
        }
        if (!si.dirty.empty() && !allow_dirty)
            throw Error("source: the working tree of " + src + " has " + std::to_string(si.dirty.size()) +
                        " uncommitted change(s) (first: '" + si.dirty[0] +
                        "'); commit them or pass --allow-dirty (the build uses the commit either way)");
    }
    fs::create_directories(dest);
    auto [s1, o1] = run_capture({"git", "init", "--quiet", "--bare", "--template=", dest});
    if (s1 != 0) throw InfraError("git init --bare " + dest + " failed");
    auto [s2, o2] = run_capture({"git", "-C", src, "push", "--quiet", "--no-verify", dest,
                                 si.commit + ":refs/heads/kettle-source"});
    if (s2 != 0) throw InfraError("exporting " + si.commit + " from " + src + " failed");
    si.bare_repo = dest;
    return si;
}

// The blank-output label at offset 0 (kettle/disk/roles.hpp): how the guest recognises the output disk.
void write_blank_label(const std::string& path) {
    const Bytes l = blank_output_label();
    std::FILE* f = std::fopen(path.c_str(), "r+b");
    if (!f) throw InfraError("cannot open " + path);
    const bool ok = std::fwrite(l.data(), 1, l.size(), f) == l.size();
    if (std::fclose(f) != 0 || !ok) throw InfraError("cannot write the output disk label to " + path);
}

void make_sparse(const std::string& path, std::uint64_t size) {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) throw InfraError("cannot create " + path);
    int rc = ::ftruncate(fileno(f), static_cast<off_t>(size));
    std::fclose(f);
    if (rc != 0) throw InfraError("cannot size " + path);
}

Json phases_json(const Progress& p) {
    Json a = Json::array();
    for (auto& [name, t] : p.phases()) a.push_back({{"phase", name}, {"started_s", std::round(t * 1000) / 1000}});
    return a;
}

}  // namespace

int cmd_run(const Args& args) {
    RunOptions o;
    try {
        o = parse_run_args(args);
    } catch (const Error& e) {
        std::fprintf(stderr, "kettle run: %s\n(see `kettle run --help`)\n", e.what());
        return kUsage;
    }
    if (o.help) {
        std::fputs(run_help_text(), stdout);
        return kOk;
    }
    Json result{{"ok", false}};
    auto emit = [&](int code, const std::string& msg) {
        result["exit_code"] = code;
        if (!msg.empty()) result["message"] = msg;
        if (o.json && !o.gcp.dry_run) std::printf("%s\n", dump_text(result).c_str());
        return code;
    };

    auto t_start = std::chrono::steady_clock::now();
    std::string work;
    auto cleanup = [&] {
        if (!work.empty() && !o.keep_disks) {
            std::error_code ec;
            fs::remove_all(work, ec);
        }
    };
    try {
        validate_run_options(o);  // files exist, --out empty: usage/input errors

        // QEMU and its version (not for a cloud profile).
        auto [vst, vout] = o.gcp_tdx ? std::pair<int, std::string>{0, ""} : run_capture({o.qemu, "--version"});
        if (vst != 0) throw InfraError("cannot run '" + o.qemu + " --version' (is qemu-system-x86 installed?)");
        QemuVersion qv = o.gcp_tdx ? QemuVersion{} : parse_qemu_version(vout);
        try {
            if (!o.gcp_tdx) require_qemu_version(o.profile, qv);
        } catch (const Error& e) {
            throw InfraError(e.what());
        }

        if (!o.gcp.dry_run) fs::create_directories(o.out);
        const char* tmpdir = std::getenv("TMPDIR");
        std::string tmpl = std::string(tmpdir && *tmpdir ? tmpdir : "/tmp") + "/kettle-run.XXXXXX";
        if (!::mkdtemp(tmpl.data())) throw InfraError("cannot create a work directory under " + tmpl);
        work = tmpl;

        const auto t_progress = std::chrono::steady_clock::now();  // the origin of the phases' started_s
        Progress progress(stderr, ::isatty(2) != 0);
        if (o.gcp_tdx)
            progress.note("profile gcp-tdx: project " + o.gcp.target.project + ", zone " + o.gcp.target.zone + ", " +
                          o.gcp.target.machine_type + (o.gcp.dry_run ? " (dry run: gcloud commands on stdout)" : ""));
        else
            progress.note("QEMU " + qv.str() + ", profile " + profile_name(o.profile) + ", " +
                          std::to_string(o.vcpus) + " vCPU, " + std::to_string(o.memory_mib) + " MiB, " + o.boot +
                          " boot" + (o.tpm_socket.empty() ? "" : ", TPM " + o.tpm_socket));
        const Profile timeout_profile = o.gcp_tdx ? Profile::tdx : o.profile;  // gcp-tdx runs on hardware
        progress.note("build timeout " + std::to_string(o.timeout) + " s (" +
                      (o.timeout == default_build_timeout(timeout_profile) ? "the default for " + run_profile_name(o) : "given") +
                      "; --timeout SECS changes it)");

        // 1. Source and input disk (or the given one, as is).
        std::string input_img = work + "/input.img", output_img = work + "/output.img";
        Bytes input_digest;
        std::uint64_t input_size = 0;
        SourceInfo src;
        // The toolchain: a tarball goes into the input disk; an image is attached as its own disk and the
        // request names its identity.
        ToolchainImageInfo tc_image;
        bool tc_is_image = !o.toolchain.empty() && toolchain_kind(o.toolchain, &tc_image) == ToolchainKind::image;
        std::string tc_disk = tc_is_image ? fs::absolute(o.toolchain).string() : std::string();
        Json tc_json = tc_is_image ? Json{{"kind", "image"}, {"path", tc_disk}, {"root_hash", hex(tc_image.ref.root_hash)},
                                          {"data_blocks", tc_image.ref.data_blocks}, {"bytes", tc_image.file_bytes}}
                                   : Json{{"kind", o.toolchain.empty() ? "input-disk" : "tarball"}, {"path", o.toolchain}};
        if (!o.input_disk.empty() && o.gcp_tdx) {
            // The cloud flow grows the disk to whole GiB in place: work on a copy, never on the user's file.
            auto [cst, cout] = run_capture({"cp", "--sparse=always", o.input_disk, input_img});
            if (cst != 0) throw InfraError("cannot copy " + o.input_disk + " to " + input_img);
            input_size = fs::file_size(input_img);
        } else if (!o.input_disk.empty()) {
            input_img = fs::absolute(o.input_disk).string();
            input_digest = sha256_file(input_img);
            input_size = fs::file_size(input_img);
        } else {
            src = export_source(o.source, o.rev, o.allow_dirty, work + "/source.git");
            InputDiskSpec spec;
            BuildRequest& r = spec.request;
            r.argv = o.command;
            r.env = o.env;
            r.artifacts = o.artifacts;
            r.timeout_seconds = o.timeout;
            r.nonce = o.nonce;
            r.source_uri = o.source_uri.empty() ? "file://" + fs::absolute(o.source).lexically_normal().string()
                                                : o.source_uri;
            r.source_ref = src.commit;
            r.requested_ref = o.rev;
            r.require_artifacts = o.require_artifacts;
            if (!o.workdir.empty()) r.workdir = o.workdir;
            spec.source_dir = src.bare_repo;
            if (tc_is_image) r.toolchain_image = tc_image.ref;
            else spec.toolchain_path = o.toolchain;
            for (auto& f : o.files) spec.files.push_back({fs::path(f).filename().string(), f});
            const std::string recipe = checked_recipe_for(o.toolchain);
            if (!recipe.empty()) {
                auto is_recipe = [](const auto& f) { return f.first == kRecipeInputName; };
                if (std::any_of(spec.files.begin(), spec.files.end(), is_recipe))
                    throw Error(std::string("--file: the name ") + kRecipeInputName + " is taken by the toolchain recipe " + recipe);
                spec.files.push_back({kRecipeInputName, recipe});
                tc_json["recipe"] = recipe;
                progress.note("toolchain recipe " + recipe + " goes on the input disk (the statement records it)");
            }
            r.dependencies = dependency_ecosystems(o.deps, src.bare_repo, src.commit);
            add_debian_dependency(r.dependencies, o.deps, recipe);
            check_dependency_env(r);  // before any fetch: --env GOMODCACHE=... with go dependencies is refused
            if (!r.dependencies.empty()) {
                FetchedDeps fd = fetch_dependencies(r.dependencies, src.bare_repo, src.commit, default_deps_cache(o.deps_cache));
                spec.deps = fd.members;
                const bool debian = std::find(r.dependencies.begin(), r.dependencies.end(), "debian") != r.dependencies.end();
                if (r.dependencies.size() > (debian ? 1u : 0u))
                    progress.note("dependencies: " + std::to_string(fd.packages) + " package files (" +
                                  std::to_string(fd.bytes) + " bytes, " + std::to_string(fd.downloaded) +
                                  " fetched now) for the guest to check against the commit's lockfile");
                if (debian)
                    progress.note("dependencies: the toolchain's Debian packages, for the guest to check against its recipe");
            }
            InputDiskInfo info = write_input_disk(spec, input_img);
            input_digest = info.sha256;
            input_size = info.size;
        }
        if (o.gcp_tdx) {
            Json run{{"kettle_version", kettle::kVersion}, {"started_on", x509::format_rfc3339(x509::now_seconds())}, {"profile", "gcp-tdx"},
                     {"toolchain", tc_json},
                     {"source", {{"path", o.source}, {"rev", o.rev}, {"commit", src.commit}, {"dirty", src.dirty}}}};
            int code = run_on_gcp(o, input_img, work, t_start, run, progress, result);
            cleanup();
            return emit(code, result.contains("message") ? result["message"].get<std::string>() : "");
        }
        make_sparse(output_img, o.output_size);
        write_blank_label(output_img);
        progress.note("input disk " + std::to_string(input_size) + " bytes, sha256 " + hex(input_digest));
        if (tc_is_image)
            progress.note("toolchain image " + std::to_string(tc_image.file_bytes) + " bytes, dm-verity root hash " +
                          hex(tc_image.ref.root_hash) + ", attached read-only");

        // 2. Image files.
        std::string kernel = o.image + "/kettle.efi";
        std::string fw = o.image + "/" + firmware_name(o);
        std::string boot_disk = o.boot == "disk" ? o.image + "/kettle-disk.raw" : "";

        // 3. Simulated AMD-SP (tcg, kvm).
        std::unique_ptr<SimChain> chain;
        std::unique_ptr<SimAmdSp> sim;
        Json meas{{"status", "unavailable"}};
        std::string sock = work + "/amdsp.sock";
        if (o.profile == Profile::tcg || o.profile == Profile::kvm) {
            SimLaunch launch;
            launch.host_data = input_digest;
            std::string amdsev = o.image + "/ovmf-amdsev.fd";
            if (fs::exists(amdsev)) {
                Bytes fwb = read_file(amdsev, 64u << 20), kb = read_file(kernel, 256u << 20);
                launch.measurement = snp::snp_launch_digest(fwb, ByteView(kb), std::nullopt, std::nullopt, o.vcpus,
                                                            kSimVcpuType, 0x1);
                meas = {{"status", "computed"}, {"launch_digest", hex(launch.measurement)},
                        {"firmware", "ovmf-amdsev.fd"}, {"vcpu_type", kSimVcpuType}, {"guest_features", "0x1"}};
                if (o.boot == "disk")
                    meas["note"] = "disk boot: the simulated MEASUREMENT is still the direct-boot launch digest of "
                                   "ovmf-amdsev.fd + kettle.efi; no hardware measures a TCG disk boot";
            } else {
                meas = {{"status", "unavailable"}, {"reason", amdsev + " not found; MEASUREMENT is all zeros"}};
            }
            if (!fs::exists(o.sim_chain_dir + "/ark.der"))
                progress.note("simulated AMD-SP: generating the KETTLE-SIM test chain (RSA-4096 keys, once)");
            chain = std::make_unique<SimChain>(SimChain::load_or_create(o.sim_chain_dir));
            sim = std::make_unique<SimAmdSp>(*chain, SimPlatform{}, launch);
            sim->start(sock);
        }

        // 4. QEMU.
        VmConfig vm;
        vm.profile = o.profile;
        vm.qemu = o.qemu;
        vm.vcpus = o.vcpus;
        vm.memory_mib = o.memory_mib;
        vm.firmware = fw;
        vm.kernel = kernel;
        vm.boot_disk = boot_disk;
        vm.tpm_socket = o.tpm_socket;
        vm.input_disk = input_img;
        vm.output_disk = output_img;
        vm.toolchain_disk = tc_disk;
        vm.amdsp_socket = sock;
        vm.input_digest = input_digest;
        if (!o.qgs.empty()) vm.qgs_socket = o.qgs;
        if (o.profile == Profile::snp) {
            if (auto cb = host_sev_cbit()) { vm.cbitpos = cb->first; vm.reduced_phys_bits = cb->second; }
        }
        auto argv = qemu_argv(vm);
        unsigned vm_timeout = o.vm_timeout ? o.vm_timeout : o.timeout + 600;
        std::string console = work + "/console.log";
        std::string started_on = x509::format_rfc3339(x509::now_seconds());
        // QEMU's start on the same clock as the phases: the host's own work (input disk, AMD-SP) comes before it.
        const double vm_start_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_progress).count();
        VmResult vr = run_vm(argv, console, vm_timeout, progress);
        progress.finish();
        if (sim) sim->stop();

        // 5. Collect.
        std::error_code ec;
        Json run{{"kettle_version", kettle::kVersion},
                 {"started_on", started_on},
                 {"finished_on", x509::format_rfc3339(x509::now_seconds())},
                 {"profile", profile_name(o.profile)},
                 {"qemu", {{"version", qv.str()}, {"version_output", vout.substr(0, vout.find('\n'))}, {"argv", argv},
                           {"exit_code", vr.exit_code}, {"signal", vr.signal}, {"stderr_tail", vr.qemu_stderr.substr(
                               vr.qemu_stderr.size() > 4096 ? vr.qemu_stderr.size() - 4096 : 0)}}},
                 {"vm", {{"vcpus", o.vcpus}, {"memory_mib", o.memory_mib}, {"cpu", argv_value(argv, "-cpu")},
                         {"machine", argv_value(argv, "-machine")}, {"firmware", fw}, {"kernel", kernel},
                         {"boot", o.boot}, {"boot_disk", boot_disk}, {"tpm_socket", o.tpm_socket},
                         {"output_disk_bytes", o.output_size}}},
                 {"input_disk", {{"sha256", hex(input_digest)}, {"bytes", input_size}}},
                 {"toolchain", tc_json},
                 {"measured_shape", measured_shape(o, argv_value(argv, "-cpu"))},
                 {"source", {{"path", o.source}, {"rev", o.rev}, {"commit", src.commit}, {"dirty", src.dirty}}},
                 {"timings", {{"vm_seconds", vr.seconds}, {"vm_start_s", std::round(vm_start_s * 1000) / 1000},
                              {"timeout_seconds", vm_timeout}, {"timed_out", vr.timed_out},
                              {"phases", phases_json(progress)}}},
                 {"console", {{"bytes", vr.console_bytes}, {"truncated", vr.console_truncated}}}};
        if (sim) run["sim_amdsp"] = {{"reports_served", sim->reports_served()}, {"errors", sim->errors_sent()},
                                     {"measurement", meas}, {"chain_dir", o.sim_chain_dir}};
        auto finish_meta = [&](int code, const std::string& why) {
            run["exit_code"] = code;
            if (!why.empty()) run["failure"] = why;
            run["timings"]["total_seconds"] =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
            fs::copy_file(console, o.out + "/console.log", fs::copy_options::overwrite_existing, ec);
            write_file(o.out + "/run.json", dump_text(run, 2) + "\n");
            result["out"] = o.out;
            result["run"] = run;
        };

        if (!vr.started) {
            finish_meta(kInfra, vr.qemu_stderr);
            cleanup();
            std::fprintf(stderr, "kettle run: %s\n", vr.qemu_stderr.c_str());
            return emit(kInfra, vr.qemu_stderr);
        }
        if (vr.timed_out || vr.interrupted) {
            std::string why = vr.timed_out ? "the VM did not finish within " + std::to_string(vm_timeout) +
                                                 " s (wall clock); QEMU was killed"
                                           : "interrupted; QEMU was killed";
            finish_meta(kInfra, why);
            cleanup();
            std::fprintf(stderr, "kettle run: %s (console: %s/console.log)\n", why.c_str(), o.out.c_str());
            return emit(kInfra, why);
        }
        if (vr.exit_code != 0) {
            std::string why = "QEMU failed (exit " + std::to_string(vr.exit_code) + "): " + vr.qemu_stderr;
            finish_meta(kInfra, why);
            cleanup();
            std::fprintf(stderr, "kettle run: %s\n", why.c_str());
            return emit(kInfra, why);
        }
        OutputDisk od;
        try {
            od = read_output_disk(output_img, o.out);
        } catch (const Error& e) {
            std::string why = std::string("the output disk is not usable: ") + e.what();
            finish_meta(kInfra, why);
            cleanup();
            std::fprintf(stderr, "kettle run: %s\n", why.c_str());
            return emit(kInfra, why);
        }
        run["output_disk"] = {{"payload_bytes", od.payload_length}, {"payload_sha256", hex(od.payload_sha256)},
                              {"members", od.members.size()}};
        run["status"] = od.status;
        int code = build_exit_code(od.status);
        std::string input_problem = input_disk_problem(od.status, hex(input_digest));
        if (code == kOk && !input_problem.empty()) code = kFailed;
        finish_meta(code, code == kOk ? ""
                          : !input_problem.empty() ? input_problem
                                                   : "the build failed (see status.json and build.log)");
        cleanup();
        result["ok"] = code == kOk;
        result["status"] = od.status;
        print_guest_warnings(od.status, stderr);
        if (std::string used = timeout_use(run, o.timeout); !used.empty())
            std::fprintf(stderr, "kettle run: %s\n", used.c_str());
        if (code == kOk) {
            std::fprintf(stderr, "kettle run: build succeeded; outputs in %s\n", o.out.c_str());
            print_verify_hint(o, meas, run["measured_shape"], stderr);
        } else if (!input_problem.empty() && build_exit_code(od.status) == kOk) {
            std::fprintf(stderr, "kettle run: FAILED: %s; outputs in %s\n", input_problem.c_str(), o.out.c_str());
        } else {
            // The guest's words, shown as data: phase and error from status.json (printable ASCII only).
            auto field = [&](const char* k) {
                std::string v = od.status.contains(k) && od.status[k].is_string() ? od.status[k].get<std::string>() : "?";
                for (char& ch : v) if (ch < 0x20 || ch > 0x7e) ch = '?';
                return v.substr(0, 500);
            };
            const std::string phase = field("phase"), error = field("error");
            std::fprintf(stderr, "kettle run: build FAILED in phase %s: %s; outputs in %s\n", phase.c_str(),
                         std::string(without_phase_prefix(error, phase)).c_str(), o.out.c_str());
            if (field("phase") == "build") print_log_tail(o.out, od.status, stderr);
        }
        return emit(code, "");
    } catch (const InfraError& e) {
        std::fprintf(stderr, "kettle run: %s\n", e.what());
        cleanup();
        return emit(kInfra, e.what());
    } catch (const Error& e) {
        std::fprintf(stderr, "kettle run: %s\n", e.what());
        cleanup();
        return emit(kUsage, e.what());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "kettle run: infrastructure failure: %s\n", e.what());
        cleanup();
        return emit(kInfra, e.what());
    }
    return kInfra;
}

}  // namespace kettle::cli
