// tests/unit/kits_support.hpp - golden-file comparison and sample lookup for the kit tests.
// SPDX-License-Identifier: MIT
#ifndef VITALS_TESTS_KITS_SUPPORT_HPP
#define VITALS_TESTS_KITS_SUPPORT_HPP

#include <doctest/doctest.h>

#include <cstdio>           // FILE, fopen, fread, fwrite
#include <cstdlib>          // getenv, strtod
#include <initializer_list> // initializer_list
#include <string>           // string

namespace kits_test {

/// tests/golden, found from the path of a file in tests/unit/ (pass __FILE__), or
/// $VITALS_GOLDEN_DIR when set.
inline std::string golden_dir(const char* source_file) {
    if (const char* env = std::getenv("VITALS_GOLDEN_DIR"))
        if (*env) return env;
    std::string path(source_file);
    for (int up = 0; up < 2; ++up) {
        const std::size_t slash = path.find_last_of("/\\");
        path = slash == std::string::npos ? std::string(".") : path.substr(0, slash);
    }
    return path + "/golden";
}

inline bool read_file(const std::string& path, std::string& out) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) return false;
    char buf[4096];
    std::size_t n;
    out.clear();
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
    std::fclose(f);
    return true;
}

/// Checks that `text` equals tests/golden/<name>. With VITALS_UPDATE_GOLDEN=1 the file is
/// rewritten from `text` first (review the diff before committing it).
inline void check_golden(const std::string& text, const char* source_file, const char* name) {
    const std::string path = golden_dir(source_file) + "/" + name;
    const char* update = std::getenv("VITALS_UPDATE_GOLDEN");
    if (update && std::string(update) == "1") {
        std::FILE* f = std::fopen(path.c_str(), "wb");
        REQUIRE(f != nullptr);
        CHECK(std::fwrite(text.data(), 1, text.size(), f) == text.size());
        std::fclose(f);
    }
    std::string expected;
    INFO("golden file: " << path);
    REQUIRE(read_file(path, expected));
    CHECK(text == expected);
}

/// The value of the first sample line named `name` whose labels include every `key="value"`
/// of `want` (a flat list: key, value, key, value...), or -1 when there is none. Label
/// values in `want` must not need escaping.
inline double sample_value(const std::string& text, const std::string& name,
                           std::initializer_list<const char*> want = {}) {
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        const std::string line = text.substr(pos, end - pos);
        pos = end + 1;
        if (line.compare(0, name.size(), name) != 0) continue;
        if (line.size() <= name.size() || (line[name.size()] != ' ' && line[name.size()] != '{'))
            continue;
        const std::size_t close = line.rfind('}');
        const std::string labels = close == std::string::npos ? "" : line.substr(0, close);
        bool match = true;
        for (auto it = want.begin(); it != want.end() && match; it += 2) {
            if (it + 1 == want.end()) return -1.0;
            const std::string pair = std::string(*it) + "=\"" + *(it + 1) + "\"";
            match = labels.find("{" + pair) != std::string::npos ||
                    labels.find("," + pair) != std::string::npos;
        }
        if (match) return std::strtod(line.c_str() + line.rfind(' ') + 1, nullptr);
    }
    return -1.0;
}

} // namespace kits_test

#endif // VITALS_TESTS_KITS_SUPPORT_HPP
