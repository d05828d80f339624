// Git checkout of the requested commit with libgit2 (1.5), from the bare repository on the input disk. PID 1 runs it
// in the checkout child (parser_child.hpp), never in itself.
#include <cerrno>
#include <cstring>
#include <ftw.h>
#include <vector>
#include <unistd.h>

#include <git2.h>
#include <git2/sys/repository.h>

#include "guest.hpp"
#include "kettle/core/error.hpp"

namespace kettle::init {

namespace {

[[noreturn]] void git_fail(const std::string& what) {
    const git_error* e = git_error_last();
    throw Error("checkout: " + what + (e && e->message ? std::string(": ") + e->message : std::string()));
}

bool is_hex40(const std::string& s) {
    if (s.size() != 40) return false;
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

std::string oid_hex(const git_oid* id) {
    char buf[GIT_OID_HEXSZ + 1] = {};
    git_oid_tostr(buf, sizeof buf, id);
    return buf;
}

/// The repository must be self-contained: its refs from its own directory (no `commondir` pointing elsewhere) and
/// its objects from `<repo_dir>/objects` only, through an object database made of that directory's loose and pack
/// backends. libgit2's default database would also follow objects/info/alternates (and the alternates of those,
/// to a depth of 5), taking objects from anywhere in the guest that the source digest does not cover.
void use_own_objects_only(git_repository* repo, const std::string& repo_dir) {
    const char* path = git_repository_path(repo);
    const char* common = git_repository_commondir(repo);
    if (!path || !common || std::strcmp(path, common) != 0)
        throw Error("checkout: the repository's common directory is not the repository itself (commondir)");
    std::string objects = std::string(path) + "objects";
    git_odb* odb = nullptr;
    if (git_odb_new(&odb) != 0) git_fail("cannot create an object database");
    struct OdbFree {
        git_odb* o;
        ~OdbFree() { git_odb_free(o); }
    } of{odb};
    git_odb_backend* loose = nullptr;
    git_odb_backend* pack = nullptr;
    if (git_odb_backend_loose(&loose, objects.c_str(), -1, 0, 0, 0) != 0 || git_odb_add_backend(odb, loose, 1) != 0)
        git_fail("cannot open the loose objects of " + repo_dir);
    if (git_odb_backend_pack(&pack, objects.c_str()) != 0 || git_odb_add_backend(odb, pack, 2) != 0)
        git_fail("cannot open the packs of " + repo_dir);
    if (git_repository_set_odb(repo, odb) != 0) git_fail("cannot use the repository's own object database");
}

uid_t g_uid;
gid_t g_gid;
int chown_one(const char* path, const struct stat*, int, struct FTW*) {
    return ::lchown(path, g_uid, g_gid) == 0 ? 0 : -1;
}

}  // namespace

CheckoutResult checkout(const std::string& repo_dir, const std::string& ref, const std::string& dest) {
    git_libgit2_init();
    // Read no configuration outside the repository, and verify every object's hash as it is read.
    for (int level : {GIT_CONFIG_LEVEL_SYSTEM, GIT_CONFIG_LEVEL_XDG, GIT_CONFIG_LEVEL_GLOBAL,
                      GIT_CONFIG_LEVEL_PROGRAMDATA})
        git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, level, "");
    git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 1);
    git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);

    git_repository* repo = nullptr;
    if (git_repository_open_ext(&repo, repo_dir.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH | GIT_REPOSITORY_OPEN_BARE,
                                nullptr) != 0)
        git_fail("cannot open the source repository");
    struct RepoFree {
        git_repository* r;
        ~RepoFree() { git_repository_free(r); }
    } rf{repo};
    use_own_objects_only(repo, repo_dir);
    // The repository's own config (source/config) is host-written and outside the commit: core.symlinks=false
    // would check symlinks out as files of link text, core.ignorecase=true fold "A" and "a" into one file, and
    // so on, while the provenance names the commit and tree as built. Check out with an empty configuration
    // (libgit2's defaults); the object format was already read when the repository was opened.
    {
        git_config* empty = nullptr;
        if (git_config_new(&empty) != 0) git_fail("cannot create an empty configuration");
        int rc = git_repository_set_config(repo, empty);
        git_config_free(empty);
        if (rc != 0) git_fail("cannot replace the repository configuration");
    }

    git_commit* commit = nullptr;
    if (is_hex40(ref)) {
        git_oid oid;
        if (git_oid_fromstr(&oid, ref.c_str()) != 0 || git_commit_lookup(&commit, repo, &oid) != 0)
            git_fail("unknown commit " + ref);
    } else {
        std::vector<std::string> names;
        if (ref.rfind("refs/", 0) == 0) names = {ref};
        else names = {"refs/heads/" + ref, "refs/tags/" + ref};
        for (const auto& n : names) {
            int valid = 0;
            if (git_reference_name_is_valid(&valid, n.c_str()) != 0 || !valid) continue;
            git_reference* r = nullptr;
            if (git_reference_lookup(&r, repo, n.c_str()) != 0) continue;
            git_object* obj = nullptr;
            int rc = git_reference_peel(&obj, r, GIT_OBJECT_COMMIT);
            git_reference_free(r);
            if (rc != 0) git_fail("ref " + n + " does not name a commit");
            commit = reinterpret_cast<git_commit*>(obj);
            break;
        }
        if (!commit) throw Error("checkout: unknown ref \"" + ref + "\"");
    }
    struct CommitFree {
        git_commit* c;
        ~CommitFree() { git_commit_free(c); }
    } cf{commit};
    CheckoutResult res{oid_hex(git_commit_id(commit)), oid_hex(git_commit_tree_id(commit))};
    git_tree* tree = nullptr;
    if (git_commit_tree(&tree, commit) != 0) git_fail("cannot read the tree of " + res.commit_id);
    struct TreeFree {
        git_tree* t;
        ~TreeFree() { git_tree_free(t); }
    } tf{tree};

    git_checkout_options opts;
    git_checkout_options_init(&opts, GIT_CHECKOUT_OPTIONS_VERSION);
    opts.checkout_strategy = GIT_CHECKOUT_FORCE | GIT_CHECKOUT_DONT_UPDATE_INDEX;
    opts.disable_filters = 1;
    opts.target_directory = dest.c_str();
    opts.dir_mode = 0755;
    opts.file_mode = 0;  // 0644 / 0755 from the tree
    if (git_checkout_tree(repo, reinterpret_cast<git_object*>(tree), &opts) != 0)
        git_fail("cannot check out " + res.commit_id);
    return res;
}

void chown_tree(const std::string& root, uid_t uid, gid_t gid) {
    g_uid = uid;
    g_gid = gid;
    if (::nftw(root.c_str(), chown_one, 64, FTW_PHYS) != 0)
        throw Error("chown " + root + ": " + std::strerror(errno));
}

}  // namespace kettle::init
