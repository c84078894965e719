// libFuzzer target: the Grizzly path model against a literal model of
// Grizzly's URI handling (grizzly_model.h), and both path models together
// as the access check uses them.
//
// For every input:
//   - normalize_path_grizzly stays inside a buffer of exactly
//     normalized_capacity() bytes;
//   - if it accepts the path and Grizzly (OX's layout) accepts it too, both
//     give exactly the same path; and whatever protected alias Grizzly's
//     mapper would reach, in OX's layout or in a handler-chain layout, our
//     path is under the same protected prefix;
//   - the canonical path is canonical (starts with '/', no "//", no dot
//     segments, no '\' or NUL);
//   - the request target under an OXPass rule to a balancer with ajp://
//     members only, http:// members only and both: a mixed balancer blocks
//     (400 or 403) whatever either kind alone blocks, the ajp:// one decides
//     exactly as the Tomcat model alone does (today's behaviour), and under
//     a backend prefix the same holds for the forwarded path;
//   - where both models accept and disagree, the pair is counted and the
//     first few are printed (not a failure: they are the differences
//     docs/security.md lists).
// Any violation aborts with the input and both results on stderr.
//
// Built and run by t/fuzz/run-fuzz.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "acl/grizzly_normalizer.h"
#include "acl/path_normalizer.h"
#include "acl/protect_rules.h"
#include "fuzz_report.h"
#include "grizzly_model.h"
#include "proxy/pass_rules.h"
#include "proxy/request_target.h"

using namespace ox::acl;

namespace {

const char* const kPrefixes[] = {"/servlet/axis2/services", "/webservices", "/monitoring/jolokia", "/preliminary",
                                 "/admin/v1", "/a", "/a/b", "/ajax/secret"};

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

// One table per balancer kind: "/" to the balancer, and "/appsuite/api"
// under the backend prefix "/ajax".
const ox::proxy::PassTable& table(std::uint8_t models)
{
    auto make = [](std::uint8_t m) {
        ox::proxy::PassTable t;
        for (auto [prefix, backend] : {std::pair<const char*, const char*>{"/", nullptr}, {"/appsuite/api", "/ajax"}}) {
            ox::proxy::PassRule r;
            if (!ox::proxy::parse_pass_rule(prefix, "b", backend, r).empty()) std::abort();
            r.balancer = "b";
            r.models = m;
            if (!t.add(std::move(r)).empty()) std::abort();
        }
        t.sort();
        return t;
    };
    static const ox::proxy::PassTable ajp = make(ox::proxy::kModelTomcat);
    static const ox::proxy::PassTable http = make(ox::proxy::kModelGrizzly);
    static const ox::proxy::PassTable both = make(ox::proxy::kModelsAll);
    return models == ox::proxy::kModelTomcat ? ajp : models == ox::proxy::kModelGrizzly ? http : both;
}

[[noreturn]] void fail(const char* what, std::string_view raw, std::string_view ours, const std::string& model)
{
    std::fprintf(stderr, "PROPERTY VIOLATED: %s\n  raw:   '", what);
    print_escaped(raw);
    std::fprintf(stderr, "'\n  ours:  '");
    print_escaped(ours);
    std::fprintf(stderr, "'\n  model: '");
    print_escaped(model);
    std::fprintf(stderr, "'\n");
    std::abort();
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

// Every protected prefix Grizzly's mapper reaches for `path` must cover ours.
void check_protected(std::string_view raw, std::string_view ours, const grizzly_model::Result& m, const char* flow)
{
    if (!m.ok) return;
    for (const char* p : kPrefixes) {
        if (grizzly_model::maps_under(m.path, p) && !grizzly_model::maps_under(std::string(ours), p)) {
            fail(flow, raw, ours, m.path);
        }
    }
}

// 0 allowed, 1 blocked: the module's decision for a client outside every
// OXProtect list, as mod_oxbalance_acl.cc makes it.
bool blocked(std::string_view raw, std::uint8_t models, ox::proxy::RequestTarget& t, std::unique_ptr<char[]>& buf)
{
    const ox::proxy::PassTable& passes = table(models);
    std::size_t cap = ox::proxy::target_buffer_size(raw, passes);
    buf.reset(new char[cap]);
    ox::proxy::parse_target("GET", raw, passes, buf.get(), cap, t);
    if (!t.ok()) return true;
    ox::proxy::CheckedPath paths[4];
    std::size_t n = ox::proxy::checked_paths(t, paths);
    for (std::size_t i = 0; i < n; ++i) {
        if (rules().match(paths[i].path)) return true;
    }
    return false;
}

unsigned long g_disagreements = 0;

void report_disagreements()
{
    std::fprintf(stderr, "fuzz_grizzly: %lu inputs both models accept with different paths\n", g_disagreements);
}

void note_disagreement(std::string_view raw, std::string_view tomcat, std::string_view grizzly)
{
    if (g_disagreements++ == 0) std::atexit(report_disagreements);
    if (g_disagreements > 12) return;
    std::fprintf(stderr, "DISAGREE '");
    print_escaped(raw);
    std::fprintf(stderr, "': tomcat '");
    print_escaped(tomcat);
    std::fprintf(stderr, "', grizzly '");
    print_escaped(grizzly);
    std::fprintf(stderr, "'\n");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    std::string_view raw(reinterpret_cast<const char*>(data), size);
    std::size_t cap = normalized_capacity(raw);
    std::unique_ptr<char[]> buf(new char[cap]);
    std::size_t n = 0;
    PathStatus st = normalize_path_grizzly(raw, buf.get(), cap, n);
    grizzly_model::Result root = grizzly_model::resolve(raw, grizzly_model::Flow::root);
    grizzly_model::Result chain = grizzly_model::resolve(raw, grizzly_model::Flow::chain);

    if (st != PathStatus::ok) {
        if (n != 0) fail("refused, but a length was reported", raw, "", root.path);
    } else {
        std::string_view ours(buf.get(), n);
        if (n > raw.size() || buf[n] != '\0') fail("length or NUL terminator wrong", raw, ours, root.path);
        if (root.ok && ours != root.path) fail("accepted with a different path than Grizzly's", raw, ours, root.path);
        check_canonical_shape(raw, ours);
        check_protected(raw, ours, root, "Grizzly (OX layout) reaches a protected alias our path is not under");
        check_protected(raw, ours, chain, "Grizzly (handler chain) reaches a protected alias our path is not under");

        std::string tomcat;
        if (normalize_path(raw, tomcat) == PathStatus::ok && tomcat != ours) note_disagreement(raw, tomcat, ours);
    }

    // The decision for each kind of balancer.
    ox::proxy::RequestTarget ta, th, tb;
    std::unique_ptr<char[]> ba, bh, bb;
    bool ajp = blocked(raw, ox::proxy::kModelTomcat, ta, ba);
    bool http = blocked(raw, ox::proxy::kModelGrizzly, th, bh);
    bool both = blocked(raw, ox::proxy::kModelsAll, tb, bb);
    if ((ajp || http) && !both) fail("a mixed balancer lets through what one kind alone blocks", raw, "", "");
    if (both && !ajp && !http) fail("a mixed balancer blocks what neither kind alone blocks", raw, "", "");
    if (ta.ok() && ta.path.size() > 0 && ta.path[0] == '/') {
        // ajp:// only: exactly the Tomcat model's decision on both paths.
        bool tomcat_only = rules().match(ta.canonical) || (ta.remapped() && rules().match(ta.backend_canonical));
        if (ajp != tomcat_only) fail("an ajp:// balancer decides other than the Tomcat model alone", raw, "", "");
    }
    // An http:// member acting on Grizzly's resolution of the bytes forwarded
    // never reaches a protected alias unless the target is blocked.
    if (!http && th.forwarded()) {
        grizzly_model::Result fwd = grizzly_model::resolve(th.forward_path, grizzly_model::Flow::root);
        if (fwd.ok) {
            for (const char* p : kPrefixes) {
                if (grizzly_model::maps_under(fwd.path, p)) {
                    fail("allowed, but Grizzly maps the forwarded bytes under a protected prefix", raw,
                         th.forward_path, fwd.path);
                }
            }
        }
    }
    return 0;
}
