// Shared `kettle measure` helpers. See measure_opts.hpp.
#include "measure_opts.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"

namespace kettle::cli {

MeasureOpts parse_measure_opts(const Args& a, const std::set<std::string>& valued, const std::set<std::string>& flags) {
    MeasureOpts o;
    for (std::size_t i = 0; i < a.size(); ++i) {
        std::string k = a[i], v;
        bool has_v = false;
        if (k == "-h" || k == "--help") {
            o.help = true;
            continue;
        }
        if (auto eq = k.find('='); k.rfind("--", 0) == 0 && eq != std::string::npos) {
            v = k.substr(eq + 1);
            k = k.substr(0, eq);
            has_v = true;
        }
        if (valued.count(k)) {
            if (!has_v) {
                if (i + 1 >= a.size()) throw Error("option " + k + " needs a value");
                v = a[++i];
            }
            if (o.kv.count(k)) throw Error("option " + k + " given twice");
            o.kv[k] = v;
        } else if (flags.count(k) && !has_v) {
            o.flags.insert(k);
        } else {
            throw Error("unknown option '" + a[i] + "'");
        }
    }
    return o;
}

std::uint64_t parse_uint(const std::string& s, const char* what, int base) {
    if (s.empty()) throw Error(std::string(what) + ": empty value");
    std::size_t pos = 0;
    unsigned long long v = 0;
    try {
        v = std::stoull(s, &pos, base);
    } catch (...) {
        throw Error(std::string(what) + ": '" + s + "' is not a number");
    }
    if (pos != s.size() || s[0] == '-') throw Error(std::string(what) + ": '" + s + "' is not a number");
    return v;
}

void print_json(const Json& j) { std::printf("%s\n", j.dump(2).c_str()); }

Json read_image_manifest(const std::string& dir) {
    const std::string mpath = dir + "/manifest.json";
    Json m = parse_strict(to_string(read_file(mpath, 16u << 20)));
    if (!m.is_object() || !m.contains("schema") || m.at("schema") != "kettle-image-manifest/v1")
        throw Error(mpath + ": schema is not \"kettle-image-manifest/v1\"");
    if (!m.contains("files") || !m.at("files").is_object()) throw Error(mpath + ": no \"files\" object");
    return m;
}

std::string manifest_sha256(const Json& m, const std::string& dir, const std::string& name) {
    const Json& files = m.at("files");
    if (!files.contains(name) || !files.at(name).is_object() || !files.at(name).contains("sha256") ||
        !files.at(name).at("sha256").is_string())
        throw Error(dir + "/manifest.json: files." + name + ".sha256 missing");
    return files.at(name).at("sha256").get<std::string>();
}

Bytes read_manifest_file(const std::string& dir, const Json& m, const std::string& name, std::size_t max_bytes) {
    const std::string want = manifest_sha256(m, dir, name);
    Bytes data = read_file(dir + "/" + name, max_bytes);
    const std::string got = hex(sha256(data));
    if (want != got) throw Error(dir + "/" + name + ": SHA-256 " + got + " differs from the manifest's " + want);
    return data;
}

Bytes read_manifest_file_head(const std::string& dir, const Json& m, const std::string& name, std::size_t head) {
    const std::string want = manifest_sha256(m, dir, name);
    const std::string path = dir + "/" + name;
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) throw Error(path + ": cannot open: " + std::strerror(errno));
    Hasher h(HashAlg::sha256);
    Bytes first;
    std::vector<std::uint8_t> buf(1u << 20);
    std::size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) {
        h.update(ByteView(buf.data(), n));
        if (first.size() < head) first.insert(first.end(), buf.begin(), buf.begin() + std::min(n, head - first.size()));
    }
    const bool err = std::ferror(f);
    std::fclose(f);
    if (err) throw Error(path + ": read error");
    const std::string got = hex(h.finish());
    if (want != got) throw Error(path + ": SHA-256 " + got + " differs from the manifest's " + want);
    return first;
}

}  // namespace kettle::cli
