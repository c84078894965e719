// libFuzzer target: the request target, read once (libox/proxy/
// request_target), against the independent model of Tomcat 10.1's URI
// resolution (tomcat_model.h). The first input byte picks the method, the
// rest is the request-target exactly as a client would send it: origin-,
// absolute-, asterisk- or authority-form, or anything else.
//
// For every input:
//   - parse_target stays inside a buffer of exactly target_buffer_size()
//     bytes (a heap block, so AddressSanitizer sees one byte too many);
//   - an accepted target has the shape of its form (origin starts with '/',
//     absolute with http:// or https:// and an authority without '@'), and
//     its path lies inside the raw target;
//   - the path checked is what Tomcat resolves from the client's path, and
//     the rule is the one that path falls under: no spelling picks another
//     rule, an exclusion included;
//   - when forwarded, what Tomcat resolves from the bytes forwarded is
//     exactly the path the access check decided on (backend_canonical),
//     which is the client's path with the rule's prefix replaced by its
//     backend prefix; without a backend prefix the bytes are the client's.
// Any violation aborts with the input on stderr.
//
// Built and run by t/fuzz/run-fuzz.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "acl/path_prefix.h"
#include "fuzz_report.h"
#include "proxy/pass_rules.h"
#include "proxy/request_target.h"
#include "tomcat_model.h"

using namespace ox::proxy;

namespace {

const PassTable& table()
{
    static const PassTable t = [] {
        const char* const rules[][3] = {
            {"/ajax", "ox", nullptr},       {"/ajax/excluded", "!", nullptr}, {"/appsuite/api", "ox", "/ajax"},
            {"/tc", "tc", "/"},             {"/docs/", "docs", "/documents/"}, {"/webservices", "ox", nullptr},
            {"/a", "ab", "/b/c"},           {"/a/b", "!", nullptr},
        };
        PassTable p;
        for (const auto& r : rules) {
            PassRule rule;
            if (!parse_pass_rule(r[0], r[1], r[2], rule).empty()) std::abort();
            if (!rule.excluded) rule.balancer = r[1];
            if (!p.add(std::move(rule)).empty()) std::abort();
        }
        p.sort();
        return p;
    }();
    return t;
}

[[noreturn]] void fail(const char* what, std::string_view method, std::string_view raw, std::string_view detail)
{
    std::fprintf(stderr, "PROPERTY VIOLATED: %s\n  method: %.*s\n  raw:    '", what, static_cast<int>(method.size()),
                 method.data());
    print_escaped(raw);
    std::fprintf(stderr, "'\n  detail: '");
    print_escaped(detail);
    std::fprintf(stderr, "'\n");
    std::abort();
}

bool inside(std::string_view part, std::string_view whole) noexcept
{
    return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

bool starts_with_ci(std::string_view s, std::string_view prefix) noexcept
{
    if (s.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != prefix[i]) return false;
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size == 0) return 0;
    static const char* const kMethods[] = {"GET", "OPTIONS", "CONNECT", "POST"};
    std::string_view method = kMethods[data[0] % 4];
    std::string_view raw(reinterpret_cast<const char*>(data + 1), size - 1);

    std::size_t cap = target_buffer_size(raw, table());
    std::unique_ptr<char[]> buf(new char[cap]);
    RequestTarget t;
    TargetStatus st = parse_target(method, raw, table(), buf.get(), cap, t);
    if (st != t.status) fail("returned status differs from out.status", method, raw, "");
    if (!t.ok()) {
        if (t.forwarded()) fail("refused, yet forwarded", method, raw, "");
        return 0;
    }
    switch (t.form) {
    case TargetForm::asterisk:
        if (raw != "*" || method != "OPTIONS") fail("asterisk-form accepted wrongly", method, raw, "");
        return 0;
    case TargetForm::authority:
        if (method != "CONNECT") fail("authority-form outside CONNECT", method, raw, "");
        if (t.forwarded()) fail("CONNECT forwarded", method, raw, "");
        return 0;
    case TargetForm::origin:
        if (raw.empty() || raw[0] != '/') fail("origin-form not starting with '/'", method, raw, "");
        if (!inside(t.path, raw)) fail("path not inside the target", method, raw, t.path);
        break;
    case TargetForm::absolute:
        if (!starts_with_ci(raw, "http://") && !starts_with_ci(raw, "https://")) fail("absolute-form scheme", method, raw, "");
        if (t.authority.empty() || t.authority.find('@') != std::string_view::npos) {
            fail("absolute-form authority", method, raw, t.authority);
        }
        if (!inside(t.authority, raw)) fail("authority not inside the target", method, raw, t.authority);
        if (t.path != "/" && !inside(t.path, raw)) fail("path not inside the target", method, raw, t.path);
        break;
    }
    if (raw.find('#') != std::string_view::npos) fail("fragment accepted", method, raw, "");

    // The path checked is Tomcat's resolution of the client's path.
    tomcat_model::Result client = tomcat_model::resolve(t.path);
    if (!client.ok) fail(("accepted a path Tomcat refuses: " + client.why).c_str(), method, raw, t.path);
    if (t.canonical != client.path) fail("canonical path is not Tomcat's", method, raw, client.path);
    // ... and the rule is the one that path falls under.
    if (t.rule != table().match(client.path)) fail("rule differs from the resolved path's", method, raw, client.path);
    if (!t.forwarded()) return 0;

    // What Tomcat resolves from the forwarded bytes is what was checked.
    tomcat_model::Result backend = tomcat_model::resolve(t.forward_path);
    if (!backend.ok) fail(("forwarded bytes Tomcat refuses: " + backend.why).c_str(), method, raw, t.forward_path);
    if (t.backend_canonical != backend.path) fail("checked path is not what Tomcat resolves", method, raw, backend.path);
    const PassRule& r = *t.rule;
    if (!r.has_backend_prefix) {
        if (t.forward_path != t.path) fail("bytes changed without a backend prefix", method, raw, t.forward_path);
        return 0;
    }
    // The client's path below the prefix, under the backend prefix.
    std::string expected = r.backend_prefix;
    std::string_view below = std::string_view(client.path).substr(r.prefix == "/" ? 0 : r.prefix.size());
    expected += below;
    if (expected.empty()) expected = "/";
    if (backend.path != expected) fail("forwarded path is not the mapped client path", method, raw, backend.path);
    std::string_view to = r.backend_prefix.empty() ? std::string_view("/") : std::string_view(r.backend_prefix);
    if (!ox::acl::covers(to, backend.path)) fail("forwarded path leaves the backend prefix", method, raw, backend.path);
    return 0;
}
