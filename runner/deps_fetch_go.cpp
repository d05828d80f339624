// `kettle run --deps go`: the module zips and go.mod files go.sum pins, fetched over the module proxy protocol
// (https://go.dev/ref/mod#goproxy-protocol) with curl, each checked against its h1: before it enters the cache
// (deps_fetch.hpp fetch_go).
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <set>
#include <unistd.h>

#include "deps_fetch.hpp"
#include "kettle/core/base64.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/pkgdeps/golang.hpp"
#include "progress.hpp"

namespace fs = std::filesystem;

namespace kettle::runner {

namespace {

/// The h1 of the file `path` read as `e` says (a module zip or a go.mod), or empty when it cannot be read or hashed.
Bytes h1_of_file(const std::string& path, const pkgdeps::GoSumEntry& e, std::string& why) {
    int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        why = "cannot open";
        return {};
    }
    try {
        Bytes h;
        if (e.go_mod) {
            std::string text;
            char buf[65536];
            ssize_t n;
            while ((n = ::read(fd, buf, sizeof buf)) > 0 && text.size() < (std::size_t{16} << 20)) text.append(buf, n);
            h = pkgdeps::gomod_h1(text);
        } else {
            h = pkgdeps::module_zip_h1(fd, e.module, e.version);
        }
        ::close(fd);
        return h;
    } catch (const Error& x) {
        ::close(fd);
        why = x.what();
        return {};
    }
}

/// The cached file for `e`, fetched from `<proxy>/<escaped path>/@v/<escaped version>.zip|.mod` when absent or
/// wrong; its h1 is checked either way.
std::string fetch_module_file(const pkgdeps::GoSumEntry& e, const std::string& proxy, const std::string& dir,
                              bool& downloaded) {
    std::string path = dir + "/" + pkgdeps::go_member_name(e), why;
    downloaded = false;
    if (fs::is_regular_file(path) && h1_of_file(path, e, why) == e.h1) return path;
    std::string url = proxy + "/" + pkgdeps::go_escape(e.module) + "/@v/" + pkgdeps::go_escape(e.version) +
                      (e.go_mod ? ".mod" : ".zip");
    std::string tmp = path + ".part." + std::to_string(::getpid());
    auto [st, out] = run_capture({"curl", "-fsSL", "--proto", "=https,file", "--retry", "2", "--max-filesize",
                                  "1073741824", "-o", tmp, url});
    const std::string who = e.module + "@" + e.version + (e.go_mod ? " (go.mod)" : " (zip)");
    if (st != 0) {
        fs::remove(tmp);
        throw Error("--deps: go: cannot fetch " + who + " from " + url +
                    (st == -1 ? " (curl is not installed)" : " (curl exit " + std::to_string(st) + ")"));
    }
    Bytes got = h1_of_file(tmp, e, why);
    if (got != e.h1) {
        fs::remove(tmp);
        throw Error("--deps: go: " + who + " from " + url + " does not match go.sum's h1:" + base64_encode(e.h1) +
                    (why.empty() ? "" : " (" + why + ")"));
    }
    fs::rename(tmp, path);
    downloaded = true;
    return path;
}

}  // namespace

std::string go_proxy_base() {
    const char* env = std::getenv("GOPROXY");
    std::string list = env && *env ? env : "https://proxy.golang.org";
    std::size_t i = 0;
    while (i <= list.size()) {
        std::size_t j = list.find_first_of(",|", i);
        if (j == std::string::npos) j = list.size();
        std::string p = list.substr(i, j - i);
        i = j + 1;
        if (p == "off") break;
        if (p.empty() || p == "direct") continue;
        while (!p.empty() && p.back() == '/') p.pop_back();
        if (p.rfind("https://", 0) != 0 && p.rfind("file://", 0) != 0)
            throw Error("--deps go: GOPROXY entry '" + p + "' is not https:// or file:// (the only schemes fetched)");
        return p;
    }
    throw Error("--deps go: GOPROXY '" + list + "' names no proxy to fetch from (direct and off are not supported: "
                "modules are fetched over the proxy protocol)");
}

void fetch_go(const std::string& go_sum_text, const std::string& cache, FetchedDeps& out) {
    std::vector<pkgdeps::GoSumEntry> sum;
    try {
        sum = pkgdeps::parse_go_sum(go_sum_text);
        for (const auto& e : sum) {
            pkgdeps::check_module_path(e.module);
            pkgdeps::check_module_version(e.module, e.version);
        }
    } catch (const Error& e) {
        throw Error(std::string("--deps go: ") + e.what());
    }
    std::string proxy = go_proxy_base();
    std::string dir = cache + "/go";
    fs::create_directories(dir);
    std::set<std::string> seen;
    for (const auto& e : sum) {
        std::string member = "go/" + pkgdeps::go_member_name(e);
        if (!seen.insert(member).second) continue;  // two identical go.mod files travel once
        bool fresh = false;
        std::string path = fetch_module_file(e, proxy, dir, fresh);
        out.members.emplace_back(member, path);
        out.packages++;
        out.bytes += fs::file_size(path);
        out.downloaded += fresh ? 1 : 0;
    }
}

}  // namespace kettle::runner
