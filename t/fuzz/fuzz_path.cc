// libFuzzer target: the request-path normaliser against an independent
// model of Tomcat 10.1's URI resolution (tomcat_model.h).
//
// For every input:
//   - the normaliser stays inside a buffer of exactly normalized_capacity()
//     bytes (a heap block, so AddressSanitizer sees one byte too many);
//   - if the model (Tomcat, default settings) refuses the path, the
//     normaliser refuses it too;
//   - if the normaliser accepts it, the model accepts it with exactly the
//     same path, and so does Tomcat with every other setting of
//     encodedSolidusHandling and allowBackslash (with "passthrough" the
//     path may keep "%25"/"%2F" spellings, so there we compare what matters:
//     which protected prefix the mapper would pick);
//   - the OXProtect lookup on our path protects everything the mapper would
//     send to a servlet mapped at a protected prefix + "/*";
//   - the canonical path is canonical: starts with '/', no "//", no "." or
//     ".." segments, no '\' or NUL.
// Any violation aborts with the input and both results on stderr.
//
// Built and run by t/fuzz/run-fuzz.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "acl/path_normalizer.h"
#include "acl/protect_rules.h"
#include "fuzz_report.h"
#include "tomcat_model.h"

using namespace ox::acl;

namespace {

const char* const kPrefixes[] = {"/servlet/axis2/services", "/webservices", "/monitoring/jolokia", "/preliminary",
                                 "/admin/v1", "/a", "/a/b"};

const ProtectRules& rules()
{
    static const ProtectRules r = [] {
        ProtectRulesBuilder b;
        for (const char* p : kPrefixes) {
            if (!b.add(p, {"10.99.0.0/16"}).empty()) std::abort();
        }
        return std::move(b).build();
    }();
    return r;
}

[[noreturn]] void fail(const char* what, std::string_view raw, std::string_view ours, const std::string& model)
{
    std::fprintf(stderr, "PROPERTY VIOLATED: %s\n  raw:   '", what);
    print_escaped(raw);
    std::fprintf(stderr, "'\n  ours:  '%.*s'\n  model: '%s'\n", static_cast<int>(ours.size()), ours.data(),
                 model.c_str());
    std::abort();
}

// The longest protected prefix the mapper would pick for `path`, or "".
std::string mapper_pick(const std::string& path)
{
    std::string best;
    for (const char* p : kPrefixes) {
        if (tomcat_model::maps_under(path, p) && std::string(p).size() > best.size()) best = p;
    }
    return best;
}

void check_canonical_shape(std::string_view raw, std::string_view c)
{
    if (c.empty() || c[0] != '/') fail("canonical path does not start with '/'", raw, c, "");
    if (c.find("//") != std::string_view::npos) fail("canonical path has '//'", raw, c, "");
    if (c.find('\\') != std::string_view::npos) fail("canonical path has a backslash", raw, c, "");
    if (c.find('\0') != std::string_view::npos) fail("canonical path has a NUL", raw, c, "");
    std::size_t pos = 0;
    while (pos < c.size()) {
        std::size_t end = c.find('/', pos + 1);
        std::string_view seg = c.substr(pos + 1, (end == std::string_view::npos ? c.size() : end) - pos - 1);
        if (seg == "." || seg == "..") fail("canonical path has a dot segment", raw, c, "");
        if (end == std::string_view::npos) break;
        pos = end;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    std::string_view raw(reinterpret_cast<const char*>(data), size);
    std::size_t cap = normalized_capacity(raw);
    std::unique_ptr<char[]> buf(new char[cap]);
    std::size_t n = 0;
    PathStatus st = normalize_path(raw, buf.get(), cap, n);

    tomcat_model::Result model = tomcat_model::resolve(raw);
    if (st != PathStatus::ok) {
        if (n != 0) fail("refused, but a length was reported", raw, "", model.path);
        return 0;  // refusing more than Tomcat is allowed
    }
    std::string_view ours(buf.get(), n);
    if (n > raw.size() || buf[n] != '\0') fail("length or NUL terminator wrong", raw, ours, model.path);
    if (!model.ok) fail(("accepted what Tomcat refuses: " + model.why).c_str(), raw, ours, model.path);
    if (ours != model.path) fail("accepted with a different path than Tomcat's", raw, ours, model.path);
    check_canonical_shape(raw, ours);

    // Every other Tomcat setting resolves an accepted path the same way.
    using tomcat_model::Solidus;
    for (Solidus sol : {Solidus::reject, Solidus::decode, Solidus::passthrough}) {
        for (bool backslash : {false, true}) {
            tomcat_model::Result m = tomcat_model::resolve(raw, {sol, backslash});
            if (!m.ok) fail(("another Tomcat setting refuses it: " + m.why).c_str(), raw, ours, m.path);
            if (sol != Solidus::passthrough && m.path != ours) fail("another Tomcat setting differs", raw, ours, m.path);
            if (mapper_pick(m.path) != mapper_pick(model.path)) {
                fail("another Tomcat setting maps it to another protected prefix", raw, ours, m.path);
            }
        }
    }

    // What the mapper would protect, our rules protect, with the same rule.
    std::string pick = mapper_pick(model.path);
    const ProtectRule* r = rules().match(ours);
    if (!pick.empty() && (!r || r->prefix != pick)) fail("protected prefix not matched by the rules", raw, ours, pick);
    if (pick.empty() && r) fail("rule matched where the mapper picks none", raw, ours, r->prefix);
    return 0;
}
