// tests/unit/test_support.hpp - helpers shared by the unit tests: a strict parser for the
// text exposition format and golden-file access.
// SPDX-License-Identifier: MIT
#ifndef VITALS_TESTS_TEST_SUPPORT_HPP
#define VITALS_TESTS_TEST_SUPPORT_HPP

#include <vitals/config.hpp> // VITALS_HAS_EXCEPTIONS

#include <cerrno>     // errno
#include <clocale>    // setlocale, localeconv
#include <cmath>      // HUGE_VAL, NAN
#include <cstddef>    // size_t
#include <cstdio>     // FILE, fopen
#include <cstdlib>    // getenv, strtod
#include <filesystem> // temp_directory_path, remove_all
#include <locale>     // locale::global
#include <map>        // map
#include <string>     // string
#include <utility>    // pair
#include <vector>     // vector

#ifndef _WIN32
#include <unistd.h> // getpid, getuid
#endif

namespace vitals_test {

/// Whether `text` contains `part`.
inline bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

/// One sample line of an exposition.
struct sample {
    std::string name;
    std::vector<std::pair<std::string, std::string>> labels; // unescaped values, in order
    std::string value_text;
    double value = 0.0;

    /// The value of label `key`, or "<missing>".
    std::string label(const std::string& key) const {
        for (const auto& l : labels)
            if (l.first == key) return l.second;
        return "<missing>";
    }
};

/// A parsed exposition: samples in order, and the TYPE and HELP of each family name.
struct exposition {
    std::vector<sample> samples;
    std::map<std::string, std::string> types; // family name -> type keyword
    std::map<std::string, std::string> helps; // family name -> unescaped help
};

inline bool is_name_char(char c, bool first, bool colon) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') return true;
    if (c == ':' && colon) return true;
    return !first && c >= '0' && c <= '9';
}

/// Parses a float the way Prometheus does (Go's ParseFloat plus +Inf/-Inf/NaN spellings).
inline bool parse_value(const std::string& text, double& out) {
    if (text == "+Inf" || text == "Inf") {
        out = HUGE_VAL;
        return true;
    }
    if (text == "-Inf") {
        out = -HUGE_VAL;
        return true;
    }
    if (text == "NaN") {
        out = NAN;
        return true;
    }
    if (text.empty()) return false;
    for (char c : text)
        if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'))
            return false;
    char* end = nullptr;
    errno = 0;
    out = std::strtod(text.c_str(), &end);
    return end == text.c_str() + text.size();
}

/// Parses `text` strictly as text format 0.0.4 as vitals writes it: every line ends in '\n',
/// comment lines are `# HELP name text` or `# TYPE name type`, samples are
/// `name{label="value",...} value` with no timestamp. Returns an empty string on success, or a
/// description of the first problem (with its line number).
inline std::string parse_exposition(const std::string& text, exposition& out) {
    std::size_t pos = 0;
    int line_no = 0;
    while (pos < text.size()) {
        ++line_no;
        const std::size_t nl = text.find('\n', pos);
        if (nl == std::string::npos)
            return "line " + std::to_string(line_no) + ": no final newline";
        const std::string line = text.substr(pos, nl - pos);
        pos = nl + 1;
        const std::string where = "line " + std::to_string(line_no) + " '" + line + "': ";
        if (line.empty()) return where + "empty line";
        if (line[0] == '#') {
            const bool help = line.compare(0, 7, "# HELP ") == 0;
            const bool type = line.compare(0, 7, "# TYPE ") == 0;
            if (!help && !type) return where + "unknown comment";
            const std::size_t sp = line.find(' ', 7);
            if (sp == std::string::npos) return where + "no text after the name";
            const std::string name = line.substr(7, sp - 7);
            const std::string rest = line.substr(sp + 1);
            if (help) {
                if (out.helps.count(name)) return where + "second HELP for " + name;
                std::string unescaped;
                for (std::size_t i = 0; i < rest.size(); ++i) {
                    if (rest[i] != '\\') {
                        unescaped += rest[i];
                        continue;
                    }
                    if (++i == rest.size()) return where + "dangling backslash in HELP";
                    if (rest[i] == 'n')
                        unescaped += '\n';
                    else if (rest[i] == '\\')
                        unescaped += '\\';
                    else
                        return where + "bad escape in HELP";
                }
                out.helps[name] = unescaped;
            } else {
                if (out.types.count(name)) return where + "second TYPE for " + name;
                if (rest != "counter" && rest != "gauge" && rest != "histogram")
                    return where + "unexpected type " + rest;
                out.types[name] = rest;
            }
            continue;
        }
        sample s;
        std::size_t i = 0;
        while (i < line.size() && is_name_char(line[i], i == 0, true)) ++i;
        if (i == 0) return where + "no metric name";
        s.name = line.substr(0, i);
        if (i < line.size() && line[i] == '{') {
            ++i;
            while (true) {
                if (i < line.size() && line[i] == '}') {
                    ++i;
                    break;
                }
                const std::size_t start = i;
                while (i < line.size() && is_name_char(line[i], i == start, false)) ++i;
                if (i == start) return where + "bad label name";
                std::string key = line.substr(start, i - start);
                for (const auto& l : s.labels)
                    if (l.first == key) return where + "duplicate label " + key;
                if (line.compare(i, 2, "=\"") != 0) return where + "expected =\"";
                i += 2;
                std::string value;
                bool closed = false;
                while (i < line.size()) {
                    const char c = line[i++];
                    if (c == '"') {
                        closed = true;
                        break;
                    }
                    if (c != '\\') {
                        value += c;
                        continue;
                    }
                    if (i == line.size()) return where + "dangling backslash";
                    const char e = line[i++];
                    if (e == 'n')
                        value += '\n';
                    else if (e == '\\')
                        value += '\\';
                    else if (e == '"')
                        value += '"';
                    else
                        return where + "bad escape in label value";
                }
                if (!closed) return where + "unterminated label value";
                s.labels.emplace_back(std::move(key), std::move(value));
                if (i < line.size() && line[i] == ',') {
                    ++i;
                    continue;
                }
                if (i < line.size() && line[i] == '}') {
                    ++i;
                    break;
                }
                return where + "expected , or }";
            }
        }
        if (i >= line.size() || line[i] != ' ') return where + "expected one space before value";
        s.value_text = line.substr(i + 1);
        if (!parse_value(s.value_text, s.value)) return where + "bad value";
        out.samples.push_back(std::move(s));
    }
    return std::string();
}

/// The directory holding the golden files: $VITALS_GOLDEN_DIR, or tests/golden next to the
/// directory of `source_file` (pass __FILE__ from a file in tests/unit/).
inline std::string golden_dir(const char* source_file) {
    if (const char* env = std::getenv("VITALS_GOLDEN_DIR"))
        if (*env) return std::string(env);
    std::string path(source_file);
    for (int up = 0; up < 2; ++up) {
        const std::size_t slash = path.find_last_of("/\\");
        path = slash == std::string::npos ? std::string(".") : path.substr(0, slash);
    }
    return path + "/golden";
}

/// True when golden files should be rewritten instead of compared (VITALS_UPDATE_GOLDEN=1).
inline bool update_golden() {
    const char* env = std::getenv("VITALS_UPDATE_GOLDEN");
    return env && std::string(env) == "1";
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

inline bool write_file(const std::string& path, const std::string& data) {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) return false;
    const bool ok = std::fwrite(data.data(), 1, data.size(), f) == data.size();
    return std::fclose(f) == 0 && ok;
}

/// Compares `actual` with the golden file `name`, or rewrites the file when
/// VITALS_UPDATE_GOLDEN=1. Returns an empty string when they match (or after an update),
/// else a description of the first difference.
inline std::string compare_golden(const std::string& dir, const std::string& name,
                                  const std::string& actual) {
    const std::string path = dir + "/" + name;
    if (update_golden()) {
        if (!write_file(path, actual)) return "cannot write " + path;
        return std::string();
    }
    std::string expected;
    if (!read_file(path, expected))
        return "cannot read " + path + " (set VITALS_GOLDEN_DIR, or VITALS_UPDATE_GOLDEN=1)";
    if (expected == actual) return std::string();
    std::size_t i = 0;
    while (i < expected.size() && i < actual.size() && expected[i] == actual[i]) ++i;
    const std::size_t line_start = expected.rfind('\n', i == 0 ? 0 : i - 1);
    const std::size_t from = line_start == std::string::npos ? 0 : line_start + 1;
    const auto line_at = [from](const std::string& s) {
        const std::size_t end = s.find('\n', from);
        return from >= s.size() ? std::string("<end of text>")
                                : s.substr(from, end == std::string::npos ? end : end - from);
    };
    return path + ": first difference at byte " + std::to_string(i) +
           "\n  expected: " + line_at(expected) + "\n  actual:   " + line_at(actual);
}

/// Switches the C and C++ global locales to one whose decimal point is not '.', for as long
/// as the object lives (then back to "C"). Uses an installed locale when there is one, else
/// generates de_DE.UTF-8 with localedef into a temporary directory used as LOCPATH. name() is
/// empty when neither works (no locale sources on the machine).
class comma_locale {
public:
    comma_locale() {
        static const char* const candidates[] = {
#ifdef _WIN32
            "German_Germany.1252",
            "de-DE",
            "French_France.1252",
#endif
            "de_DE.UTF-8",
            "de_DE.utf8",
            "fr_FR.UTF-8",
            "fr_FR.utf8",
            "ru_RU.UTF-8",
            "nl_NL.UTF-8",
            "es_ES.UTF-8",
            "it_IT.UTF-8",
            "pt_BR.UTF-8",
            "de_DE",
            "fr_FR"};
        for (const char* name : candidates)
            if (try_use(name)) return;
#ifndef _WIN32
        // Generated once per user into a shared temporary directory (about 3 MB), because
        // localedef takes a second or more; a unique directory renamed into place keeps
        // concurrent test programs from seeing a half-written locale.
        std::error_code ec;
        const auto tmp = std::filesystem::temp_directory_path(ec);
        if (ec) return;
        const auto cache = tmp / ("vitals-test-locale-" + std::to_string(::getuid()));
        if (!std::filesystem::exists(cache / "de_DE.UTF-8" / "LC_NUMERIC", ec)) {
            const auto fresh = tmp / ("vitals-test-locale-" + std::to_string(::getuid()) + "-" +
                                      std::to_string(::getpid()));
            std::filesystem::create_directories(fresh, ec);
            const std::string cmd =
                "localedef -i de_DE -f UTF-8 '" + fresh.string() + "/de_DE.UTF-8' >/dev/null 2>&1";
            const bool made = !ec && std::system(cmd.c_str()) == 0;
            if (made) std::filesystem::rename(fresh, cache, ec); // fails if another won: fine
            std::filesystem::remove_all(fresh, ec);
            if (!made) return;
        }
        ::setenv("LOCPATH", cache.string().c_str(), 1);
        set_locpath_ = true;
        try_use("de_DE.UTF-8");
#endif
    }
    comma_locale(const comma_locale&) = delete;
    comma_locale& operator=(const comma_locale&) = delete;
    ~comma_locale() {
        std::locale::global(std::locale::classic());
        std::setlocale(LC_ALL, "C");
#ifndef _WIN32
        if (set_locpath_) ::unsetenv("LOCPATH");
#endif
    }
    /// The locale in use, or empty when none with a comma decimal point could be set.
    const std::string& name() const { return name_; }

private:
    bool try_use(const char* name) {
        if (!std::setlocale(LC_ALL, name)) return false;
        if (std::localeconv()->decimal_point[0] == '.') {
            std::setlocale(LC_ALL, "C");
            return false;
        }
#if VITALS_HAS_EXCEPTIONS()
        try {
            std::locale::global(std::locale(name)); // also sets the C locale again
        } catch (...) {
            // The C++ library may not know the name; the C locale is what matters most.
        }
#endif
        std::setlocale(LC_ALL, name);
        name_ = name;
        return true;
    }

    std::string name_;
    bool set_locpath_ = false;
};

} // namespace vitals_test

#endif // VITALS_TESTS_TEST_SUPPORT_HPP
