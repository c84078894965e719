// For t/acl/tomcat-oracle: reads raw paths, one per line, hex-encoded, and
// prints for each the normaliser's result and the Tomcat model's results
// (default settings and encodedSolidusHandling="passthrough"):
//
//   <hex raw> <ours> <model> <model passthrough>
//
// where each result is "=<hex path>" or "!<reason without spaces>".
#include <cstdio>
#include <iostream>
#include <string>

#include "acl/path_normalizer.h"
#include "tomcat_model.h"

namespace {

std::string hex(const std::string& s)
{
    static const char kDigits[] = "0123456789abcdef";
    std::string o;
    for (unsigned char c : s) {
        o += kDigits[c >> 4];
        o += kDigits[c & 15];
    }
    return o;
}

bool unhex(const std::string& h, std::string& out)
{
    auto val = [](char c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        return -1;
    };
    if (h.size() % 2) return false;
    out.clear();
    for (std::size_t i = 0; i < h.size(); i += 2) {
        int a = val(h[i]), b = val(h[i + 1]);
        if (a < 0 || b < 0) return false;
        out += static_cast<char>(a * 16 + b);
    }
    return true;
}

std::string no_spaces(std::string s)
{
    for (char& c : s) {
        if (c == ' ') c = '_';
    }
    return s;
}

std::string model_text(const tomcat_model::Result& r) { return r.ok ? "=" + hex(r.path) : "!" + no_spaces(r.why); }

}  // namespace

int main()
{
    std::string line, raw;
    while (std::getline(std::cin, line)) {
        if (!unhex(line, raw)) {
            std::fprintf(stderr, "acl_paths: not hex: %s\n", line.c_str());
            return 2;
        }
        std::string ours;
        ox::acl::PathStatus st = ox::acl::normalize_path(raw, ours);
        std::string ours_text =
            st == ox::acl::PathStatus::ok ? "=" + hex(ours) : "!" + no_spaces(ox::acl::path_status_text(st));
        tomcat_model::Settings pass;
        pass.encoded_slash = tomcat_model::Solidus::passthrough;
        std::cout << line << ' ' << ours_text << ' ' << model_text(tomcat_model::resolve(raw)) << ' '
                  << model_text(tomcat_model::resolve(raw, pass)) << '\n';
    }
    return 0;
}
