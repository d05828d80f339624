#include "test_support.hpp"

#include <cstdio>

namespace kettle::test {

std::string run_host(const std::string& cmd) {
    std::string out;
    FILE* p = ::popen(cmd.c_str(), "r");
    REQUIRE(p != nullptr);
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    int rc = ::pclose(p);
    INFO("command: " << cmd);
    REQUIRE(rc == 0);
    return out;
}

}  // namespace kettle::test
