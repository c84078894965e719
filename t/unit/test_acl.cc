// libox/acl: addresses and CIDR sets, the request-path normaliser (every
// known way to spell a protected path differently, with what Tomcat 10.1
// resolves it to), OXProtect rules, and the client address behind trusted
// proxies.
//
// The expected canonical paths were checked against a running Tomcat 10.1.60
// over AJP (servletPath + pathInfo of a servlet mapped at "/", connector
// defaults); the rows marked "stricter" are accepted by Tomcat and refused
// by us on purpose (see libox/acl/path_normalizer.h).
//
// The second table (kGrizzlyPaths) is the same question for http:// members:
// what OX App Suite's Grizzly resolves each spelling to, derived from its
// sources as libox/acl/grizzly_normalizer.h describes them (every rule cited
// by the row's comment: G-session Request.parseSessionId, G-decode
// URLDecoder.decode, G-norm HttpRequestURIDecoder.normalizeBytes, G-utf8 the
// reporting UTF-8 conversion, G-map OSGiCleanMapper.map) and checked against
// a literal model of those passes by t/fuzz/fuzz_grizzly.cc.
//
//   test_acl                        runs the suite
//   test_acl --write-corpus DIR     writes every raw path of the table into
//                                   DIR, one file each (the fuzz seeds in
//                                   t/fuzz/corpus are made this way)
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "acl/cidr_set.h"
#include "acl/client_address.h"
#include "acl/grizzly_normalizer.h"
#include "acl/ip_address.h"
#include "acl/path_normalizer.h"
#include "acl/protect_rules.h"
#include "unit_util.h"

using namespace ox::acl;

namespace {

// ============================================================================
// The path table
// ============================================================================

struct PathCase {
    const char* raw;
    const char* canonical;  // nullptr: refused with `status`
    PathStatus status;
};

constexpr PathStatus OK = PathStatus::ok;

// clang-format off
const PathCase kPaths[] = {
    // --- what legitimate clients send -----------------------------------------
    {"/servlet/axis2/services/x",                       "/servlet/axis2/services/x", OK},
    {"/servlet/axis2/services",                         "/servlet/axis2/services", OK},
    {"/webservices/y",                                  "/webservices/y", OK},
    {"/",                                               "/", OK},
    {"/ajax/login",                                     "/ajax/login", OK},
    {"/a/b/",                                           "/a/b/", OK},
    {"/web+services",                                   "/web+services", OK},          // '+' is no space in a path

    // --- path parameters: stripped from every segment, before decoding --------
    {"/servlet;x/axis2/services",                       "/servlet/axis2/services", OK},
    {"/servlet/axis2;x/services",                       "/servlet/axis2/services", OK},
    {"/servlet/axis2/services;x",                       "/servlet/axis2/services", OK},
    {"/servlet;a=b;c=d/axis2/services/x",               "/servlet/axis2/services/x", OK},
    {"/servlet;/axis2/services",                        "/servlet/axis2/services", OK},
    {"/servlet/axis2/services;jsessionid=5661584529655240315.OX1/x", "/servlet/axis2/services/x", OK},
    {"/webservices;x/y",                                "/webservices/y", OK},         // params on the protected segment
    {"/webservices;",                                   "/webservices", OK},
    {"/;x/servlet/axis2/services",                      "/servlet/axis2/services", OK},  // ";x" alone: an empty segment
    {"/servlet/axis2/services/;x",                      "/servlet/axis2/services/", OK},
    {"/webservices%3Bx/y",                              "/webservices;x/y", OK},       // %3B decoded after: a literal ';'
    {"/webservices;%3B/y",                              "/webservices/y", OK},

    // --- Tomcat's "..;" and ".;" ------------------------------------------------
    {"/servlet/foo/..;/axis2/services",                 "/servlet/axis2/services", OK},
    {"/foo/..;/servlet/axis2/services",                 "/servlet/axis2/services", OK},
    {"/servlet/foo/..;x=y/axis2/services",              "/servlet/axis2/services", OK},
    {"/servlet/.;/axis2/services",                      "/servlet/axis2/services", OK},
    {"/x/%2e%2e;/webservices",                          "/webservices", OK},           // params go first, then %2e%2e is ".."
    {"/x/%2e%2e%3b/webservices",                        "/x/..;/webservices", OK},     // "..;" decoded late is a name
    {"/..;/webservices",                                nullptr, PathStatus::above_root},
    {"/;x/../webservices",                              nullptr, PathStatus::above_root},

    // --- merged slashes ----------------------------------------------------------
    {"//servlet//axis2///services",                     "/servlet/axis2/services", OK},
    {"//webservices",                                   "/webservices", OK},
    {"/servlet//axis2/services/",                       "/servlet/axis2/services/", OK},
    {"/webservices//",                                  "/webservices/", OK},

    // --- dot segments -------------------------------------------------------------
    {"/servlet/./axis2/services",                       "/servlet/axis2/services", OK},
    {"/./webservices/x",                                "/webservices/x", OK},
    {"/x/../servlet/axis2/services",                    "/servlet/axis2/services", OK},
    {"/servlet/axis2/x/y/../../services",               "/servlet/axis2/services", OK},
    {"/servlet/axis2/services/x/..",                    "/servlet/axis2/services", OK},  // no trailing '/' (10.1)
    {"/webservices/.",                                  "/webservices", OK},
    {"/webservices/..",                                 "/", OK},
    {"/webservices/./",                                 "/webservices/", OK},
    {"/.",                                              "/", OK},
    {"/x/..",                                           "/", OK},
    {"/webservices/...",                                "/webservices/...", OK},       // three dots: a name
    {"/webservices.",                                   "/webservices.", OK},          // not the protected segment
    {"/servlet/axis2/services../x",                     "/servlet/axis2/services../x", OK},

    // --- percent-encoded dots -------------------------------------------------------
    {"/servlet/%2e/axis2/services",                     "/servlet/axis2/services", OK},
    {"/x/%2e%2e/webservices",                           "/webservices", OK},
    {"/x/%2E%2E/webservices",                           "/webservices", OK},
    {"/x/.%2e/webservices",                             "/webservices", OK},
    {"/x/%2e./webservices",                             "/webservices", OK},
    {"/%2e",                                            "/", OK},

    // --- decoded exactly once -------------------------------------------------------
    {"/x/%252e%252e/webservices",                       "/x/%2e%2e/webservices", OK},
    {"/servlet/axis2/%2573ervices",                     "/servlet/axis2/%73ervices", OK},
    {"/webservices%25",                                 "/webservices%", OK},
    {"/%252F",                                          "/%2F", OK},

    // --- percent-encoded letters ------------------------------------------------------
    {"/servlet/%61xis2/services",                       "/servlet/axis2/services", OK},
    {"/servlet/axis%32/services",                       "/servlet/axis2/services", OK},
    {"/%73%65%72%76%6c%65%74/%61%78%69%73%32/%73%65%72%76%69%63%65%73", "/servlet/axis2/services", OK},
    {"/%73%65%72%76%6C%65%74/%61%78%69%73%32/%73%65%72%76%69%63%65%73/x", "/servlet/axis2/services/x", OK},
    {"/webservice%73",                                  "/webservices", OK},
    {"/%77ebservices/x",                                "/webservices/x", OK},
    {"/webservices%3F/x",                               "/webservices?/x", OK},
    {"/webservices%20",                                 "/webservices ", OK},
    {"/webservices%09x",                                "/webservices\tx", OK},        // controls other than NUL pass, as in Tomcat

    // --- case: Tomcat's mapper is case-sensitive ------------------------------------------
    {"/Servlet/axis2/services",                         "/Servlet/axis2/services", OK},
    {"/servlet/AXIS2/services",                         "/servlet/AXIS2/services", OK},
    {"/WEBSERVICES/x",                                  "/WEBSERVICES/x", OK},
    {"/webServices",                                    "/webServices", OK},
    {"/%57ebservices",                                  "/Webservices", OK},

    // --- unicode ---------------------------------------------------------------------------
    {"/webservices/%e2%82%ac",                          "/webservices/\xe2\x82\xac", OK},
    {"/webservices/\xe2\x82\xac",                       "/webservices/\xe2\x82\xac", OK},   // raw UTF-8
    {"/servlet/axis2/servic%C3%A9s",                    "/servlet/axis2/servic\xc3\xa9s", OK},
    {"/servlet%EF%BC%8Faxis2/services",                 "/servlet\xef\xbc\x8f" "axis2/services", OK},  // fullwidth solidus: a letter
    {"/webservices/%f0%9f%98%80",                       "/webservices/\xf0\x9f\x98\x80", OK},

    // --- refused: encoded slash ------------------------------------------------------------
    {"/servlet%2Faxis2%2Fservices",                     nullptr, PathStatus::encoded_slash},
    {"/servlet%2faxis2/services",                       nullptr, PathStatus::encoded_slash},
    {"/x/..%2Fwebservices",                             nullptr, PathStatus::encoded_slash},
    {"/webservices;%2F/x",                              nullptr, PathStatus::encoded_slash},   // stricter: in a parameter
    {"/a;%2f/b",                                        nullptr, PathStatus::encoded_slash},   // stricter

    // --- refused: NUL ----------------------------------------------------------------------
    {"/webservices%00/x",                               nullptr, PathStatus::nul},
    {"/webservices/x%00.jsp",                           nullptr, PathStatus::nul},

    // --- refused: backslash, raw or encoded --------------------------------------------------
    {"/servlet\\axis2\\services",                       nullptr, PathStatus::backslash},
    {"/servlet%5Caxis2/services",                       nullptr, PathStatus::backslash},
    {"/servlet%5caxis2/services",                       nullptr, PathStatus::backslash},
    {"/x\\..\\webservices",                             nullptr, PathStatus::backslash},
    {"\\webservices",                                   nullptr, PathStatus::backslash},
    {"/webservices;\\/x",                               nullptr, PathStatus::backslash},       // stricter: in a parameter

    // --- refused: ".." above the root --------------------------------------------------------
    {"/..",                                             nullptr, PathStatus::above_root},
    {"/../webservices",                                 nullptr, PathStatus::above_root},
    {"/x/../../webservices",                            nullptr, PathStatus::above_root},
    {"/%2e%2e/webservices",                             nullptr, PathStatus::above_root},
    {"/%2e%2e",                                         nullptr, PathStatus::above_root},
    {"/./../webservices",                               nullptr, PathStatus::above_root},

    // --- refused: malformed escapes ----------------------------------------------------------
    {"/webservices%",                                   nullptr, PathStatus::bad_escape},
    {"/webservices%2",                                  nullptr, PathStatus::bad_escape},
    {"/web%zzservices",                                 nullptr, PathStatus::bad_escape},
    {"/webservices%g0/x",                               nullptr, PathStatus::bad_escape},
    {"/a;%zz/b",                                        nullptr, PathStatus::bad_escape},      // stricter: in a parameter

    // --- refused: malformed UTF-8 ------------------------------------------------------------
    {"/webservices/%ff",                                nullptr, PathStatus::bad_utf8},
    {"/%c0%ae%c0%ae/webservices",                       nullptr, PathStatus::bad_utf8},        // overlong "."
    {"/servlet%c0%afaxis2/services",                    nullptr, PathStatus::bad_utf8},        // overlong "/"
    {"/webservices/%e0%80%ae",                          nullptr, PathStatus::bad_utf8},        // overlong "." (3 bytes)
    {"/webservices/%ed%a0%80",                          nullptr, PathStatus::bad_utf8},        // surrogate
    {"/webservices/%f4%90%80%80",                       nullptr, PathStatus::bad_utf8},        // above U+10FFFF
    {"/webservices/%e2%82",                             nullptr, PathStatus::bad_utf8},        // truncated
    {"/webservices/\xff",                               nullptr, PathStatus::bad_utf8},        // raw
    {"/%ff/../webservices",                             nullptr, PathStatus::bad_utf8},        // stricter: removed by ".."

    // --- refused: not a path -----------------------------------------------------------------
    {"",                                                nullptr, PathStatus::empty},
    {"*",                                               nullptr, PathStatus::not_absolute},
    {"webservices",                                     nullptr, PathStatus::not_absolute},
    {";x/webservices",                                  nullptr, PathStatus::not_absolute},
    {"http://ox/webservices",                           nullptr, PathStatus::not_absolute},
    {"%2Fwebservices",                                  nullptr, PathStatus::not_absolute},
};
// clang-format on

// What Grizzly (OX's layout: one handler at "/") resolves each spelling to.
// "stricter" rows are resolved by Grizzly (some to a protected alias) and
// refused by us on purpose; "Grizzly fails" rows are accepted by us with the
// path shown, which Grizzly never serves (harmless either way).
// clang-format off
const PathCase kGrizzlyPaths[] = {
    // --- plain spellings, the same as in Tomcat ------------------------------------------------
    {"/servlet/axis2/services/x",                       "/servlet/axis2/services/x", OK},
    {"/servlet/axis2/services",                         "/servlet/axis2/services", OK},
    {"/webservices/y",                                  "/webservices/y", OK},
    {"/webservices",                                    "/webservices", OK},
    {"/",                                               "/", OK},
    {"/a/b/",                                           "/a/b/", OK},                 // G-norm: a trailing '/' stays

    // --- path parameters: part of the segment (G-map looks up the string as it is) ------------
    {"/servlet;x/axis2/services/x",                     "/servlet;x/axis2/services/x", OK},
    {"/servlet/axis2;x/services/x",                     "/servlet/axis2;x/services/x", OK},
    {"/servlet/axis2/services;x/x",                     "/servlet/axis2/services;x/x", OK},
    {"/servlet;a=b;c=d/axis2/services/x",               "/servlet;a=b;c=d/axis2/services/x", OK},
    {"/webservices;x/y",                                "/webservices;x/y", OK},
    {"/webservices;",                                   "/webservices;", OK},
    {"/;x/webservices/y",                               "/;x/webservices/y", OK},    // ";x" is a name, not an empty segment
    {"/webservices%3Bx/y",                              "/webservices;x/y", OK},      // G-decode: the same as a raw ';'
    {"/webservices;%3B/y",                              "/webservices;;/y", OK},

    // --- ";jsessionid=": G-session cuts it from the raw URI, to the next ';' or the end -------
    {"/webservices;jsessionid=1.OX1",                   "/webservices", OK},
    {"/webservices/y;jsessionid=1.OX1",                 "/webservices/y", OK},
    {"/servlet/axis2/services;jsessionid=5661584529655240315.OX1/x", nullptr, PathStatus::session_param}, // Grizzly: "/servlet/axis2/services"
    {"/a;jsessionid=1/webservices",                     nullptr, PathStatus::session_param},  // Grizzly: "/a" (cut across '/')
    {"/a;jsessionid=1;/webservices",                    nullptr, PathStatus::session_param},  // Grizzly: "/a;/webservices"
    {"/webservices;JSESSIONID=1",                       nullptr, PathStatus::session_param},  // stricter: another cookie name
    {"/a/..;jsessionid=1",                              nullptr, PathStatus::session_param},  // stricter: cut from a dot segment
    {"/;jsessionid=1",                                  nullptr, PathStatus::session_param},  // stricter: cut from an empty one
    {"/webservices%3Bjsessionid=1",                     "/webservices;jsessionid=1", OK},  // G-session sees raw bytes only

    // --- dot segments with ';': names in Grizzly (Tomcat strips the ";" first) --------------
    {"/servlet/foo/..;/axis2/services/x",               "/servlet/foo/..;/axis2/services/x", OK},
    {"/foo/..;/webservices/y",                          "/foo/..;/webservices/y", OK},
    {"/servlet/.;/axis2/services/x",                    "/servlet/.;/axis2/services/x", OK},
    {"/servlet/x/..;/..;/webservices/y",                "/servlet/x/..;/..;/webservices/y", OK},
    {"/x/%2e%2e;/webservices/y",                        "/x/..;/webservices/y", OK},
    {"/..;/webservices/y",                              "/..;/webservices/y", OK},    // no ".." above the root here
    {"/;x/../webservices/y",                            "/webservices/y", OK},        // ";x" is a name ".." removes
    {"/webservices/..;x/y",                             "/webservices/..;x/y", OK},   // Tomcat: "/y"; Grizzly stays under /webservices

    // --- "//", "." and "..": G-norm ------------------------------------------------------------
    {"//servlet//axis2///services/x",                   "/servlet/axis2/services/x", OK},
    {"//webservices/y",                                 "/webservices/y", OK},
    {"/servlet/./axis2/services/x",                     "/servlet/axis2/services/x", OK},
    {"/./webservices/y",                                "/webservices/y", OK},
    {"/x/../webservices/y",                             "/webservices/y", OK},
    {"/servlet/axis2/x/../services/x",                  "/servlet/axis2/services/x", OK},
    {"/webservices/y/..",                               "/webservices/", OK},         // G-norm appends '/' to a final "/.."
    {"/webservices/.",                                  "/webservices/", OK},         // ... and to a final "/."
    {"/webservices/./",                                 "/webservices/", OK},
    {"/a//./b",                                         "/a/b", OK},
    {"/.",                                              "/", OK},                     // Grizzly fails (checkNormalize)
    {"/x/..",                                           "/", OK},

    // --- G-norm's quirks: refused (stricter) ---------------------------------------------------
    {"/x/.../webservices/y",                            nullptr, PathStatus::dot_quirk},  // Grizzly: "/webservices/y" ("..." acts as "..")
    {"/webservices/...",                                nullptr, PathStatus::dot_quirk},  // Grizzly: "/webservices/.." then fails
    {"/x/...y/webservices",                             nullptr, PathStatus::dot_quirk},  // Grizzly: "/x/..y/webservices"
    {"/x/%2e%2e%2e/webservices/y",                      nullptr, PathStatus::dot_quirk},  // the same, decoded first
    {"/x/././webservices/y",                            nullptr, PathStatus::dot_quirk},  // Grizzly: "/webservices/y"
    {"/x/%2e/%2e/webservices/y",                        nullptr, PathStatus::dot_quirk},  // the same, decoded first
    {"/web/.//services",                                nullptr, PathStatus::dot_quirk},  // Grizzly: "/webservices"
    {"/x/./../webservices",                             nullptr, PathStatus::dot_quirk},  // Grizzly gets this one right
    {"/x/./.y/z",                                       nullptr, PathStatus::dot_quirk},  // ... and this one
    {"/x/./..y/z",                                      nullptr, PathStatus::dot_quirk},  // Grizzly: "/x/.y/z"

    // --- encoded dots: G-decode before G-norm --------------------------------------------------
    {"/servlet/%2e/axis2/services/x",                   "/servlet/axis2/services/x", OK},
    {"/x/%2e%2e/webservices/y",                         "/webservices/y", OK},
    {"/x/%2E%2E/webservices/y",                         "/webservices/y", OK},
    {"/x/.%2e/webservices/y",                           "/webservices/y", OK},
    {"/x/%252e%252e/webservices/y",                     "/x/%2e%2e/webservices/y", OK},  // decoded once
    {"/servlet/axis2/%2573ervices/x",                   "/servlet/axis2/%73ervices/x", OK},

    // --- encoded letters, '+', case ------------------------------------------------------------
    {"/servlet/%61xis2/services/x",                     "/servlet/axis2/services/x", OK},
    {"/%73%65%72%76%6c%65%74/%61%78%69%73%32/%73%65%72%76%69%63%65%73/x", "/servlet/axis2/services/x", OK},
    {"/%77%65%62%73%65%72%76%69%63%65%73/y",            "/webservices/y", OK},
    {"/webservice%73/y",                                "/webservices/y", OK},
    {"/web+services",                                   "/web services", OK},          // G-decode: '+' is a space
    {"/web%2Bservices",                                 "/web+services", OK},
    {"/Servlet/axis2/services/x",                       "/Servlet/axis2/services/x", OK},  // G-map: case-sensitive
    {"/WEBSERVICES/y",                                  "/WEBSERVICES/y", OK},
    {"/webservicesfoo",                                 "/webservicesfoo", OK},
    {"/webservices./y",                                 "/webservices./y", OK},
    {"/servlet/axis2/services../x",                     "/servlet/axis2/services../x", OK},
    {"/webservices/%e2%82%ac",                          "/webservices/\xe2\x82\xac", OK},
    {"/servlet%EF%BC%8Faxis2/services/x",               "/servlet\xef\xbc\x8f" "axis2/services/x", OK},

    // --- refused: encoded slash (Grizzly in OX's layout splits there: stricter) ----------------
    {"/servlet%2Faxis2%2Fservices/x",                   nullptr, PathStatus::encoded_slash},
    {"/x/..%2Fwebservices/y",                           nullptr, PathStatus::encoded_slash},
    {"/webservices;%2F/y",                              nullptr, PathStatus::encoded_slash},
    // --- refused: NUL, backslash (G-norm), malformed escapes (G-decode throws) ---------------
    {"/webservices%00/y",                               nullptr, PathStatus::nul},
    {"/servlet\\axis2\\services\\x",                    nullptr, PathStatus::backslash},
    {"/servlet%5Caxis2/services/x",                     nullptr, PathStatus::backslash},
    {"/x\\..\\webservices/y",                           nullptr, PathStatus::backslash},
    {"/webservices%/y",                                 nullptr, PathStatus::bad_escape},
    {"/web%zzservices/y",                               nullptr, PathStatus::bad_escape},
    // --- refused: ".." above the root (G-norm) ---------------------------------------------------
    {"/../webservices/y",                               nullptr, PathStatus::above_root},
    {"/x/../../webservices/y",                          nullptr, PathStatus::above_root},
    {"/%2e%2e/webservices/y",                           nullptr, PathStatus::above_root},
    // --- refused: malformed UTF-8 (G-utf8 reports errors) --------------------------------------
    {"/%c0%ae%c0%ae/webservices/y",                     nullptr, PathStatus::bad_utf8},
    {"/servlet%c0%afaxis2/services/x",                  nullptr, PathStatus::bad_utf8},
    {"/webservices/%ff",                                nullptr, PathStatus::bad_utf8},
    {"/webservices/%ed%a0%80",                          nullptr, PathStatus::bad_utf8},
    {"/%ff/../webservices/y",                           nullptr, PathStatus::bad_utf8},   // stricter: removed by ".."
    {"/a;%ff/b",                                        nullptr, PathStatus::bad_utf8},   // Tomcat drops it with the parameter
    // --- refused: not a path ----------------------------------------------------------------------
    {"",                                                nullptr, PathStatus::empty},
    {"webservices",                                     nullptr, PathStatus::not_absolute},
    {"\\webservices",                                   nullptr, PathStatus::backslash},
};
// clang-format on

std::string printable(const std::string& s)
{
    std::string o;
    for (unsigned char c : s) {
        if (c >= 0x20 && c < 0x7f) {
            o += static_cast<char>(c);
        } else {
            char b[8];
            std::snprintf(b, sizeof b, "\\x%02x", c);
            o += b;
        }
    }
    return o;
}

std::string normalized(std::string_view raw, PathStatus& st)
{
    std::string out;
    st = normalize_path(raw, out);
    return out;
}

IpAddress ip(const char* text)
{
    IpAddress a;
    IpParse p = parse_ip(text, a);
    ck_assert_msg(p == IpParse::ok, "test address '%s': %s", text, ip_parse_text(p));
    return a;
}

CidrSet set_of(std::initializer_list<const char*> words)
{
    CidrSet s;
    for (const char* w : words) {
        std::string err = s.add(w);
        ck_assert_msg(err.empty(), "%s", err.c_str());
    }
    return s;
}

}  // namespace

// ============================================================================
// Path normalisation
// ============================================================================

namespace {

// The rows of a table are the fuzz seeds t/fuzz/corpus/<name>-NNN, byte for
// byte and none missing or left over: the fuzzers start from them, and
// t/acl/protect.t sends each to a real httpd and Tomcat. A row added without
// `test_acl --write-corpus t/fuzz/corpus` fails here.
void assert_is_corpus(const char* name, const PathCase* rows, std::size_t count)
{
    const char* d = std::getenv("OXB_SRCDIR");
    std::string dir = std::string(d && *d ? d : "..") + "/t/fuzz/corpus/";
    char file[32];
    for (std::size_t i = 0;; ++i) {
        std::snprintf(file, sizeof file, "%s-%03zu", name, i);
        std::ifstream in(dir + file, std::ios::binary);
        if (i == count) {
            ck_assert_msg(!in, "%s%s: a seed with no row in the table", dir.c_str(), file);
            break;
        }
        ck_assert_msg(in.good(), "%s%s missing: run test_acl --write-corpus", dir.c_str(), file);
        std::string seed((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        ck_assert_msg(seed == rows[i].raw, "%s%s is \"%s\", its row \"%s\"", dir.c_str(), file,
                      printable(seed).c_str(), printable(rows[i].raw).c_str());
    }
}

}  // namespace

START_TEST(path_table)
{
    assert_is_corpus("table", kPaths, sizeof kPaths / sizeof kPaths[0]);
    for (const PathCase& c : kPaths) {
        PathStatus st;
        std::string out = normalized(c.raw, st);
        std::string raw = printable(c.raw);
        if (c.canonical) {
            ck_assert_msg(st == OK, "'%s': refused (%s), expected '%s'", raw.c_str(), path_status_text(st),
                          printable(c.canonical).c_str());
            ck_assert_msg(out == c.canonical, "'%s': got '%s', expected '%s'", raw.c_str(), printable(out).c_str(),
                          printable(c.canonical).c_str());
        } else {
            ck_assert_msg(st == c.status, "'%s': got %s ('%s'), expected %s", raw.c_str(),
                          st == OK ? "accepted" : path_status_text(st), printable(out).c_str(),
                          path_status_text(c.status));
        }
    }
}
END_TEST

// Every single letter of "/servlet/axis2/services" and "/webservices",
// %-encoded in upper and lower case hex, resolves to the same path.
START_TEST(path_every_letter_encoded)
{
    for (std::string plain : {"/servlet/axis2/services", "/webservices"}) {
        for (std::size_t i = 0; i < plain.size(); ++i) {
            if (plain[i] == '/') continue;
            for (const char* fmt : {"%%%02X", "%%%02x"}) {
                char esc[4];
                std::snprintf(esc, sizeof esc, fmt, static_cast<unsigned char>(plain[i]));
                std::string raw = plain.substr(0, i) + esc + plain.substr(i + 1) + "/x";
                PathStatus st;
                std::string out = normalized(raw, st);
                ck_assert_msg(st == OK && out == plain + "/x", "'%s' -> '%s' (%s)", raw.c_str(), out.c_str(),
                              path_status_text(st));
            }
        }
    }
}
END_TEST

// The caller's buffer: never written past `capacity`, too small is an error,
// the result is NUL-terminated.
START_TEST(path_buffer_bounds)
{
    std::string raw = "/a/./b;x/../c/";
    std::vector<char> buf(normalized_capacity(raw) + 8, '#');
    std::size_t n = 99;
    ck_assert(normalize_path(raw, buf.data(), normalized_capacity(raw), n) == OK);
    ck_assert_str_eq(buf.data(), "/a/c/");
    ck_assert_uint_eq(n, 5);
    for (std::size_t i = normalized_capacity(raw); i < buf.size(); ++i) ck_assert_int_eq(buf[i], '#');

    ck_assert(normalize_path(raw, buf.data(), raw.size(), n) == PathStatus::too_long);
    ck_assert_uint_eq(n, 0);
    // the longest output for its input: nothing to remove
    std::string plain = "/abc/def";
    std::vector<char> exact(normalized_capacity(plain));
    ck_assert(normalize_path(plain, exact.data(), exact.size(), n) == OK);
    ck_assert_uint_eq(n, plain.size());
    ck_assert_str_eq(exact.data(), "/abc/def");
}
END_TEST

START_TEST(grizzly_path_table)
{
    assert_is_corpus("grizzly", kGrizzlyPaths, sizeof kGrizzlyPaths / sizeof kGrizzlyPaths[0]);
    for (const PathCase& c : kGrizzlyPaths) {
        std::string out;
        PathStatus st = normalize_path_grizzly(c.raw, out);
        std::string raw = printable(c.raw);
        if (c.canonical) {
            ck_assert_msg(st == OK, "'%s': refused (%s), expected '%s'", raw.c_str(), path_status_text(st),
                          printable(c.canonical).c_str());
            ck_assert_msg(out == c.canonical, "'%s': got '%s', expected '%s'", raw.c_str(), printable(out).c_str(),
                          printable(c.canonical).c_str());
        } else {
            ck_assert_msg(st == c.status, "'%s': got %s ('%s'), expected %s", raw.c_str(),
                          st == OK ? "accepted" : path_status_text(st), printable(out).c_str(),
                          path_status_text(c.status));
        }
    }
}
END_TEST

// The Grizzly model's buffer contract, as normalize_path's.
START_TEST(grizzly_buffer_bounds)
{
    std::string raw = "/a/./b/../c/x;jsessionid=1";
    std::vector<char> buf(normalized_capacity(raw) + 8, '#');
    std::size_t n = 99;
    ck_assert(normalize_path_grizzly(raw, buf.data(), normalized_capacity(raw), n) == OK);
    ck_assert_str_eq(buf.data(), "/a/c/x");
    ck_assert_uint_eq(n, 6);
    for (std::size_t i = normalized_capacity(raw); i < buf.size(); ++i) ck_assert_int_eq(buf[i], '#');
    ck_assert(normalize_path_grizzly(raw, buf.data(), raw.size(), n) == PathStatus::too_long);
    ck_assert_uint_eq(n, 0);
    std::string plain = "/abc/d+f";
    std::vector<char> exact(normalized_capacity(plain));
    ck_assert(normalize_path_grizzly(plain, exact.data(), exact.size(), n) == OK);
    ck_assert_str_eq(exact.data(), "/abc/d f");
}
END_TEST

START_TEST(path_status_texts)
{
    ck_assert_str_eq(path_status_text(OK), "");
    ck_assert_str_eq(path_status_text(PathStatus::encoded_slash), "encoded slash (%2F)");
    ck_assert_str_eq(path_status_text(PathStatus::above_root), "'..' above the root");
}
END_TEST

// ============================================================================
// Addresses
// ============================================================================

START_TEST(ip_parse_good)
{
    struct Case {
        const char* text;
        const char* shown;  // RFC 5952 text
    } cases[] = {
        {"10.1.2.3", "10.1.2.3"},
        {"0.0.0.0", "0.0.0.0"},
        {"255.255.255.255", "255.255.255.255"},
        {"::", "::"},
        {"::1", "::1"},
        {"2001:db8::1", "2001:db8::1"},
        {"2001:DB8:0:0:0:0:0:1", "2001:db8::1"},
        {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},  // first of two equal runs
        {"1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"},
        {"1:0:3:4:5:6:7:8", "1:0:3:4:5:6:7:8"},         // one zero group stays
        {"1::", "1::"},
        {"1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"},
        {"::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"},
        {"fe80::0001", "fe80::1"},
        {"::ffff:10.1.2.3", "10.1.2.3"},                // IPv4-mapped is IPv4
        {"::FFFF:0a01:0203", "10.1.2.3"},
        {"64:ff9b::10.1.2.3", "64:ff9b::a01:203"},
        {"::10.1.2.3", "::a01:203"},                    // IPv4-compatible is not IPv4
    };
    for (const auto& c : cases) {
        IpAddress a;
        IpParse p = parse_ip(c.text, a);
        ck_assert_msg(p == IpParse::ok, "'%s': %s", c.text, ip_parse_text(p));
        CK_ASSERT_STRING_EQ(to_string(a), c.shown);
    }
    ck_assert(ip("10.1.2.3") == ip("::ffff:10.1.2.3"));
    ck_assert(ip("10.1.2.3").is_v4());
    ck_assert(!ip("::10.1.2.3").is_v4());
    ck_assert(ip("127.8.9.1").is_loopback());
    ck_assert(ip("::1").is_loopback());
    ck_assert(ip("::ffff:127.0.0.1").is_loopback());
    ck_assert(!ip("::2").is_loopback());
    ck_assert(!ip("128.0.0.1").is_loopback());
}
END_TEST

START_TEST(ip_parse_bad)
{
    struct Case {
        const char* text;
        IpParse why;
    } cases[] = {
        {"", IpParse::empty},
        {"10.1.2", IpParse::bad_ipv4},
        {"10.1.2.3.4", IpParse::bad_ipv4},
        {"10.1.2.256", IpParse::bad_ipv4},
        {"010.1.2.3", IpParse::bad_ipv4},  // octal to inet_aton
        {"10..2.3", IpParse::bad_ipv4},
        {"10.1.2.3.", IpParse::bad_ipv4},
        {"1234", IpParse::bad_ipv4},
        {"10.1.2.3/8", IpParse::not_an_ip},
        {"localhost", IpParse::not_an_ip},
        {"ox.example.com", IpParse::not_an_ip},
        {" 10.1.2.3", IpParse::not_an_ip},
        {":", IpParse::bad_ipv6},
        {":::", IpParse::bad_ipv6},
        {"1::2::3", IpParse::bad_ipv6},
        {":1::2", IpParse::bad_ipv6},
        {"1::2:", IpParse::bad_ipv6},
        {"1:2:3:4:5:6:7:8:9", IpParse::bad_ipv6},
        {"1:2:3:4:5:6:7", IpParse::bad_ipv6},
        {"1:2:3:4:5:6:7:8::", IpParse::bad_ipv6},  // "::" for no group at all
        {"::1:2:3:4:5:6:7:8", IpParse::bad_ipv6},
        {"12345::", IpParse::bad_ipv6},
        {"g::1", IpParse::bad_ipv6},
        {"::ffff:10.1.2", IpParse::bad_ipv6},
        {"::10.1.2.3:1", IpParse::bad_ipv6},       // IPv4 only at the end
        {"1:2:3:4:5:6:7:10.1.2.3", IpParse::bad_ipv6},
        {"[::1]", IpParse::bad_ipv6},
        {"fe80::1%eth0", IpParse::zone_id},
    };
    for (const auto& c : cases) {
        IpAddress a;
        IpParse p = parse_ip(c.text, a);
        ck_assert_msg(p == c.why, "'%s': got '%s', expected '%s'", c.text, ip_parse_text(p), ip_parse_text(c.why));
    }
}
END_TEST

START_TEST(cidr_edges)
{
    struct Case {
        const char* block;
        const char* inside;
        const char* outside;  // may be nullptr
    } cases[] = {
        {"10.0.0.0/8", "10.255.255.255", "11.0.0.0"},
        {"10.0.0.0/8", "::ffff:10.9.9.9", "::a09:909"},      // mapped form matches, compatible does not
        {"::ffff:10.0.0.0/104", "10.1.1.1", "11.1.1.1"},     // the same block written as IPv6
        {"10.1.2.3", "10.1.2.3", "10.1.2.4"},                // bare address = /32
        {"10.1.2.3/32", "::ffff:10.1.2.3", "10.1.2.2"},
        {"0.0.0.0/0", "255.255.255.255", "::1"},              // every IPv4 address, no IPv6 one
        {"::/0", "2001:db8::1", nullptr},
        {"::/0", "10.1.2.3", nullptr},                        // every address
        {"2001:db8::/32", "2001:db8:ffff::1", "2001:db9::"},
        {"2001:db8::1/128", "2001:db8::1", "2001:db8::2"},
        {"2001:db8::1", "2001:db8::1", "2001:db8::"},
        {"2001:db8::/33", "2001:db8:7fff::", "2001:db8:8000::"},
        {"192.168.1.128/25", "192.168.1.255", "192.168.1.127"},
        {"::ffff:0:0/96", "1.2.3.4", "::1"},
    };
    for (const auto& c : cases) {
        Cidr b;
        std::string err = parse_cidr(c.block, b);
        ck_assert_msg(err.empty(), "%s", err.c_str());
        ck_assert_msg(b.contains(ip(c.inside)), "%s should contain %s", c.block, c.inside);
        if (c.outside) ck_assert_msg(!b.contains(ip(c.outside)), "%s should not contain %s", c.block, c.outside);
    }
}
END_TEST

START_TEST(cidr_bad_words)
{
    struct Case {
        const char* word;
        const char* message_part;
    } cases[] = {
        {"10.0.0.0/33", "prefix length after '/' must be a number 0-32"},
        {"2001:db8::/129", "0-128"},
        {"10.0.0.0/", "0-32"},
        {"10.0.0.0/-1", "0-32"},
        {"10.0.0.0/08", "0-32"},
        {"10.0.0.0/8/8", "0-32"},
        {"10.0.0.0/ 8", "0-32"},
        {"10.1.2.3/8", "host bits are set; the block is 10.0.0.0/8"},
        {"2001:db8::1/32", "host bits are set; the block is 2001:db8::/32"},
        {"/8", "empty address"},
        {"localhost", "host names are not allowed"},
        {"10.0.0.0/255.0.0.0", "0-32"},
        {"10.0.0.256", "four decimal parts"},
        {"fe80::1%eth0/64", "zone"},
    };
    for (const auto& c : cases) {
        Cidr b;
        std::string err = parse_cidr(c.word, b);
        ck_assert_msg(err.find(c.message_part) != std::string::npos, "'%s': got '%s'", c.word, err.c_str());
        ck_assert_msg(err.find(c.word) != std::string::npos, "'%s': message does not name the word: %s", c.word,
                      err.c_str());
    }
    // What mod_access_compat's Allow took, and ours does not: the message
    // says what to write instead.
    struct Hint {
        const char* word;
        const char* says;
    } hints[] = {
        {"192.168", "write 192.168.0.0/16"},
        {"10.", "write 10.0.0.0/8"},
        {"10.20.30", "write 10.20.30.0/24"},
        {"ox.example.com", "host names are not resolved"},
        {"ox.example.com", "'local'"},
    };
    for (const auto& h : hints) {
        CidrSet set;
        std::string err = set.add(h.word);
        ck_assert_msg(err.find(h.says) != std::string::npos, "'%s': got '%s'", h.word, err.c_str());
        ck_assert(set.empty());
    }
}
END_TEST

START_TEST(cidr_set_and_local)
{
    CidrSet s = set_of({"10.99.0.0/16", "2001:db8::/32"});
    ck_assert(s.matches(Client::peer(ip("10.99.1.1"))));
    ck_assert(s.matches(Client::peer(ip("::ffff:10.99.1.1"))));
    ck_assert(s.matches(Client::peer(ip("2001:db8::5"))));
    ck_assert(!s.matches(Client::peer(ip("127.0.0.1"))));
    ck_assert(!s.matches(Client::peer(ip("127.0.0.1"), true)));  // same_host means nothing without `local`
    ck_assert(!s.matches(Client::unknown()));
    CK_ASSERT_STRING_EQ(s.to_string(), "10.99.0.0/16 2001:db8::/32");

    CidrSet l = set_of({"local"});
    ck_assert(l.has_local());
    ck_assert(l.matches(Client::peer(ip("127.0.0.1"))));
    ck_assert(l.matches(Client::peer(ip("127.255.0.9"))));
    ck_assert(l.matches(Client::peer(ip("::1"))));
    ck_assert(l.matches(Client::peer(ip("::ffff:127.0.0.1"))));
    ck_assert(!l.matches(Client::peer(ip("10.0.0.1"))));
    ck_assert(l.matches(Client::peer(ip("10.0.0.1"), true)));  // a client on this host, via a public address
    ck_assert(!l.matches(Client::unknown()));
    CK_ASSERT_STRING_EQ(l.to_string(), "local");

    CidrSet m = set_of({"LOCAL", "10.1.2.3", "::1", "10.1.2.3"});  // duplicates collapse
    CK_ASSERT_STRING_EQ(m.to_string(), "10.1.2.3 ::1 local");
    ck_assert(CidrSet().empty());
    CidrSet bad;
    ck_assert(!bad.add("locals").empty());
    ck_assert(bad.empty());
}
END_TEST

// ============================================================================
// OXProtect rules
// ============================================================================

namespace {

ProtectRules sample_rules()
{
    ProtectRulesBuilder b;
    ck_assert(b.add("/servlet/axis2/services", {"10.99.0.0/16"}).empty());
    ck_assert(b.add("/webservices/", {"10.99.0.0/16", "local"}).empty());  // trailing '/' is dropped
    ck_assert(b.add("/servlet/axis2/services/open", {"0.0.0.0/0", "::/0"}).empty());
    ck_assert(b.add("/admin", {"2001:db8::/32"}).empty());
    return std::move(b).build();
}

}  // namespace

START_TEST(rules_segment_boundaries)
{
    ProtectRules r = sample_rules();
    struct Case {
        const char* canonical;
        const char* rule;  // nullptr: unprotected
    } cases[] = {
        {"/webservices", "/webservices"},
        {"/webservices/", "/webservices"},
        {"/webservices/x/y", "/webservices"},
        {"/webservicesfoo", nullptr},
        {"/webservices.", nullptr},
        {"/webservices;x", nullptr},  // only a decoded %3B leaves a ';' here: a different name
        {"/Webservices", nullptr},    // case-sensitive, as Tomcat
        {"/servlet/axis2/services", "/servlet/axis2/services"},
        {"/servlet/axis2/services/open", "/servlet/axis2/services/open"},  // longest wins
        {"/servlet/axis2/services/open/x", "/servlet/axis2/services/open"},
        {"/servlet/axis2/services/openx", "/servlet/axis2/services"},
        {"/servlet/axis2", nullptr},
        {"/servlet", nullptr},
        {"/", nullptr},
        {"/admin", "/admin"},
    };
    for (const auto& c : cases) {
        const ProtectRule* m = r.match(c.canonical);
        if (c.rule) {
            ck_assert_msg(m && m->prefix == c.rule, "'%s': matched %s, expected %s", c.canonical,
                          m ? m->prefix.c_str() : "nothing", c.rule);
        } else {
            ck_assert_msg(!m, "'%s': matched %s", c.canonical, m ? m->prefix.c_str() : "");
        }
    }
    ck_assert_str_eq(r.rules().front().prefix.c_str(), "/servlet/axis2/services/open");
}
END_TEST

START_TEST(rules_decisions)
{
    ProtectRules r = sample_rules();
    Client outsider = Client::peer(ip("203.0.113.7"));
    Client provisioning = Client::peer(ip("10.99.3.4"));
    Client loopback = Client::peer(ip("::1"));

    ck_assert(r.check("/webservices/x", outsider).verdict == Verdict::denied);
    ck_assert(r.check("/webservices/x", provisioning).verdict == Verdict::allowed);
    ck_assert(r.check("/webservices/x", loopback).verdict == Verdict::allowed);  // local
    ck_assert(r.check("/servlet/axis2/services", loopback).verdict == Verdict::denied);
    ck_assert(r.check("/servlet/axis2/services/open", outsider).verdict == Verdict::allowed);
    ck_assert(r.check("/ajax/login", outsider).verdict == Verdict::unprotected);
    ck_assert(r.check("/webservices", Client::unknown()).verdict == Verdict::denied);

    // the raw path, normalised into the caller's buffer
    const char* raw = "/servlet;x/foo/..;/axis2/%73ervices/y";
    char buf[64];
    std::size_t n = 0;
    Decision d = r.check_raw(raw, outsider, buf, sizeof buf, n);
    ck_assert(d.verdict == Verdict::denied);
    ck_assert_str_eq(d.rule->prefix.c_str(), "/servlet/axis2/services");
    ck_assert_str_eq(buf, "/servlet/axis2/services/y");
    ck_assert_uint_eq(n, std::strlen(buf));
    d = r.check_raw("/servlet%2Faxis2/services", provisioning, buf, sizeof buf, n);
    ck_assert(d.verdict == Verdict::bad_path);
    ck_assert(d.path_status == PathStatus::encoded_slash);
    ck_assert(!d.rule);
    ck_assert_str_eq(verdict_name(Verdict::bad_path), "bad path");
}
END_TEST

START_TEST(rules_config_errors)
{
    struct Case {
        const char* prefix;
        const char* message_part;
    } cases[] = {
        {"webservices", "must start with '/'"},
        {"", "must start with '/'"},
        {"/webservices;x", "path parameter"},
        {"/web%73ervices", "decoded"},
        {"/a//b", "not a canonical path"},
        {"/a/./b", "not a canonical path"},
        {"/a/../b", "not a canonical path"},
        {"/a/..", "not a canonical path"},
        {"/..", "above the root"},
        {"/a\\b", "backslash"},
        {"/a/\xff", "UTF-8"},
    };
    for (const auto& c : cases) {
        ProtectRulesBuilder b;
        std::string err = b.add(c.prefix, {"10.0.0.0/8"});
        ck_assert_msg(err.find(c.message_part) != std::string::npos, "'%s': got '%s'", c.prefix, err.c_str());
    }
    ProtectRulesBuilder b;
    ck_assert(b.add("/webservices", {"10.0.0.0/8"}).empty());
    std::string err = b.add("/webservices/", {"::1"});
    ck_assert_msg(err.find("already protected") != std::string::npos, "%s", err.c_str());
    err = b.add("/x", {"10.0.0.0/8", "bogus"});
    ck_assert_msg(err.find("'bogus'") != std::string::npos, "%s", err.c_str());
    err = b.add("/y", std::vector<std::string_view>{});
    ck_assert_msg(err.find("no address allowed") != std::string::npos, "%s", err.c_str());
    ck_assert(b.add("/", {"local"}).empty());  // everything, as a catch-all
    ProtectRules r = std::move(b).build();
    ck_assert_str_eq(r.match("/anything")->prefix.c_str(), "/");
    ck_assert_str_eq(r.match("/webservices/x")->prefix.c_str(), "/webservices");
}
END_TEST

START_TEST(rules_merge)
{
    ProtectRulesBuilder main_server, vhost;
    ck_assert(main_server.add("/webservices", {"10.0.0.0/8"}).empty());
    ck_assert(main_server.add("/admin/v1", {"10.0.0.0/8"}).empty());
    ck_assert(vhost.add("/webservices", {"192.0.2.0/24"}).empty());
    ck_assert(vhost.add("/admin/v1/x", {"::1"}).empty());
    ProtectRules m = ProtectRules::merge(std::move(main_server).build(), std::move(vhost).build());
    ck_assert_uint_eq(m.rules().size(), 3);
    const ProtectRule* w = m.match("/webservices");
    ck_assert(w && w->allowed.to_string() == "192.0.2.0/24");  // the vhost's line replaces the main one
    ck_assert_str_eq(m.match("/admin/v1/x/y")->prefix.c_str(), "/admin/v1/x");
    ck_assert_str_eq(m.match("/admin/v1/y")->prefix.c_str(), "/admin/v1");
}
END_TEST

// ============================================================================
// The client address behind trusted proxies
// ============================================================================

namespace {

struct Resolved {
    std::string who;  // address, or "unknown"
    ClientSource source;
    ClientNote note;
};

Resolved resolve(const char* peer, const CidrSet& trusted, const char* xff, const char* fwd = "")
{
    ResolvedClient r = resolve_client(Client::peer(ip(peer)), trusted, xff, fwd);
    return Resolved{r.client.known ? to_string(r.client.address) : "unknown", r.source, r.note};
}

}  // namespace

START_TEST(client_forged_header_from_untrusted_peer)
{
    CidrSet trusted = set_of({"192.0.2.10", "192.0.2.11"});
    Resolved r = resolve("127.0.0.1", trusted, "10.99.1.1");
    CK_ASSERT_STRING_EQ(r.who, "127.0.0.1");
    ck_assert(r.source == ClientSource::peer);
    r = resolve("203.0.113.5", trusted, "10.99.1.1, 192.0.2.10", "for=10.99.1.1");
    CK_ASSERT_STRING_EQ(r.who, "203.0.113.5");
    // no trusted proxies at all: headers never count
    r = resolve("203.0.113.5", CidrSet(), "10.99.1.1");
    CK_ASSERT_STRING_EQ(r.who, "203.0.113.5");
    // the peer keeps its same_host flag only when it is the client
    ResolvedClient rc = resolve_client(Client::peer(ip("10.0.0.5"), true), trusted, "10.99.1.1", "");
    ck_assert(rc.client.same_host);
}
END_TEST

START_TEST(client_x_forwarded_for_chains)
{
    CidrSet trusted = set_of({"192.0.2.0/28", "2001:db8:ffff::/48"});
    struct Case {
        const char* peer;
        const char* xff;
        const char* who;
        ClientNote note;
    } cases[] = {
        {"192.0.2.1", "198.51.100.7", "198.51.100.7", ClientNote::none},
        {"192.0.2.1", "198.51.100.7, 192.0.2.2", "198.51.100.7", ClientNote::none},         // through two proxies
        {"192.0.2.1", "10.99.1.1, 198.51.100.7", "198.51.100.7", ClientNote::none},         // forged entry on the left
        {"192.0.2.1", "10.99.1.1,198.51.100.7,192.0.2.3", "198.51.100.7", ClientNote::none},
        {"192.0.2.1", "192.0.2.5, 192.0.2.6", "192.0.2.5", ClientNote::none},               // all trusted: the leftmost
        {"192.0.2.1", " 198.51.100.7 , ", "198.51.100.7", ClientNote::none},                 // OWS, empty elements
        {"192.0.2.1", "198.51.100.7:4711", "198.51.100.7", ClientNote::none},                // a port
        {"192.0.2.1", "[2001:db8::7]:4711", "2001:db8::7", ClientNote::none},
        {"192.0.2.1", "2001:db8::7", "2001:db8::7", ClientNote::none},
        {"192.0.2.1", "::ffff:198.51.100.7", "198.51.100.7", ClientNote::none},
        {"192.0.2.1", "2001:db8::7, 2001:db8:ffff::1", "2001:db8::7", ClientNote::none},
        {"192.0.2.1", "10.99.1.1, unknown", "unknown", ClientNote::unknown_identifier},     // the proxy did not know
        {"192.0.2.1", "10.99.1.1, garbage", "unknown", ClientNote::malformed},
        {"192.0.2.1", "10.99.1.1, 198.51.100.7:99999", "unknown", ClientNote::malformed},
        {"192.0.2.1", "10.99.1.1, host.example:80", "unknown", ClientNote::malformed},
        {"192.0.2.1", "garbage, 198.51.100.7", "198.51.100.7", ClientNote::none},            // left of the client: ignored
        {"192.0.2.1", "10.99.1.1, [::1", "unknown", ClientNote::malformed},
        {"192.0.2.1", "", "192.0.2.1", ClientNote::none},                                     // no header: the peer
        {"192.0.2.1", " , ", "192.0.2.1", ClientNote::none},
    };
    for (const auto& c : cases) {
        Resolved r = resolve(c.peer, trusted, c.xff);
        ck_assert_msg(r.who == c.who && r.note == c.note, "'%s': got %s (%s), expected %s (%s)", c.xff, r.who.c_str(),
                      client_note_text(r.note), c.who, client_note_text(c.note));
    }
    ck_assert(resolve("192.0.2.1", trusted, "198.51.100.7").source == ClientSource::x_forwarded_for);
}
END_TEST

START_TEST(client_forwarded_syntax)
{
    CidrSet trusted = set_of({"192.0.2.0/28", "2001:db8:ffff::/48"});
    struct Case {
        const char* fwd;
        const char* who;
        ClientNote note;
    } cases[] = {
        {"for=198.51.100.7", "198.51.100.7", ClientNote::none},
        {"For=198.51.100.7", "198.51.100.7", ClientNote::none},
        {"for=\"198.51.100.7\"", "198.51.100.7", ClientNote::none},
        {"for=\"198.51.100.7:4711\"", "198.51.100.7", ClientNote::none},
        {"for=198.51.100.7:4711", "198.51.100.7", ClientNote::none},                       // unquoted port, tolerated
        {"for=\"[2001:db8:cafe::17]:4711\"", "2001:db8:cafe::17", ClientNote::none},
        {"for=\"[2001:db8:cafe::17]\"", "2001:db8:cafe::17", ClientNote::none},
        {"for=\"[2001:db8:cafe::17]:_port\"", "2001:db8:cafe::17", ClientNote::none},
        {"for=198.51.100.7;proto=https;by=192.0.2.1", "198.51.100.7", ClientNote::none},
        {"proto=https;for=198.51.100.7", "198.51.100.7", ClientNote::none},
        {"for=10.99.1.1, for=198.51.100.7", "198.51.100.7", ClientNote::none},             // forged on the left
        {"for=198.51.100.7, for=192.0.2.2", "198.51.100.7", ClientNote::none},
        {"for=192.0.2.5, for=192.0.2.6", "192.0.2.5", ClientNote::none},                  // all trusted
        {"for=\"x, for=10.99.1.1\", for=198.51.100.7", "198.51.100.7", ClientNote::none},  // a comma inside quotes
        {"for=\"\\1\\9\\8.51.100.7\"", "198.51.100.7", ClientNote::none},                 // quoted-pairs
        {"for=10.99.1.1, for=unknown", "unknown", ClientNote::unknown_identifier},
        {"for=10.99.1.1, for=_hidden", "unknown", ClientNote::unknown_identifier},         // obfuscated
        {"for=10.99.1.1, for=\"_gazonk\"", "unknown", ClientNote::unknown_identifier},
        {"for=10.99.1.1, proto=http", "unknown", ClientNote::unknown_identifier},         // an element without for=
        {"for=10.99.1.1, for=2001:db8::7", "unknown", ClientNote::malformed},             // IPv6 needs brackets
        {"for=10.99.1.1, for=\"[2001:db8::7\"", "unknown", ClientNote::malformed},
        {"for=10.99.1.1, for=\"198.51.100.7", "unknown", ClientNote::malformed},          // unterminated quote
        {"for=10.99.1.1, for=198.51.100.7;for=198.51.100.8", "unknown", ClientNote::malformed},  // two for=
        {"for=10.99.1.1, for = 198.51.100.7", "unknown", ClientNote::malformed},           // no spaces around '='
        {"for=10.99.1.1, for=_", "unknown", ClientNote::malformed},
        {"for=10.99.1.1, for=[1.2.3.4]", "unknown", ClientNote::malformed},
        {"for=10.99.1.1, for=\"" "0000000000000000000000000000000000000000000000000000000000000000001.2.3.4\"", "unknown",
         ClientNote::malformed},
        {" , for=198.51.100.7 ;; proto=http , ", "198.51.100.7", ClientNote::none},        // empty elements and pairs
    };
    for (const auto& c : cases) {
        Resolved r = resolve("192.0.2.1", trusted, "", c.fwd);
        ck_assert_msg(r.who == c.who && r.note == c.note, "'%s': got %s (%s), expected %s (%s)", c.fwd, r.who.c_str(),
                      client_note_text(r.note), c.who, client_note_text(c.note));
        if (r.note == ClientNote::none) ck_assert(r.source == ClientSource::forwarded);
    }
}
END_TEST

START_TEST(client_both_headers)
{
    CidrSet trusted = set_of({"192.0.2.1"});
    Resolved r = resolve("192.0.2.1", trusted, "198.51.100.7", "for=198.51.100.7");
    CK_ASSERT_STRING_EQ(r.who, "198.51.100.7");
    // the proxy writes X-Forwarded-For; the client adds a Forwarded of its own
    r = resolve("192.0.2.1", trusted, "198.51.100.7", "for=10.99.1.1");
    CK_ASSERT_STRING_EQ(r.who, "unknown");
    ck_assert(r.note == ClientNote::headers_disagree);
    r = resolve("192.0.2.1", trusted, "198.51.100.7", "for=\"198.51.100.7");
    CK_ASSERT_STRING_EQ(r.who, "unknown");
    // the trusted set may itself be `local`: a proxy on this host
    CidrSet local = set_of({"local"});
    r = resolve("127.0.0.1", local, "198.51.100.7");
    CK_ASSERT_STRING_EQ(r.who, "198.51.100.7");
    r = resolve("127.0.0.1", local, "198.51.100.7, ::1");
    CK_ASSERT_STRING_EQ(r.who, "198.51.100.7");
}
END_TEST

START_TEST(client_entry_parsers)
{
    Client c;
    ck_assert(parse_xff_entry("  10.1.2.3 ", c) == ClientNote::none && c.known);
    ck_assert(parse_xff_entry("UNKNOWN", c) == ClientNote::unknown_identifier && !c.known);
    ck_assert(parse_xff_entry("[10.1.2.3]", c) == ClientNote::malformed);
    ck_assert(parse_xff_entry("[::1]x", c) == ClientNote::malformed);
    ck_assert(parse_xff_entry("10.1.2.3:", c) == ClientNote::malformed);
    ck_assert(parse_forwarded_node("198.51.100.7:_p1", c) == ClientNote::none && c.known);
    ck_assert(parse_forwarded_node("_a.b-c_d", c) == ClientNote::unknown_identifier);
    ck_assert(parse_forwarded_node("_a b", c) == ClientNote::malformed);
    ck_assert(parse_forwarded_node("", c) == ClientNote::malformed);
    ck_assert_str_eq(client_source_name(ClientSource::forwarded), "Forwarded");
}
END_TEST

// ============================================================================

namespace {

int write_corpus(const char* dir)
{
    int n = 0;
    auto write = [&](const char* table, const PathCase* rows, std::size_t count) {
        for (std::size_t i = 0; i < count; ++i) {
            char name[32];
            std::snprintf(name, sizeof name, "/%s-%03zu", table, i);
            std::ofstream f(std::string(dir) + name, std::ios::binary);
            f << rows[i].raw;
            if (!f) {
                std::fprintf(stderr, "cannot write %s%s\n", dir, name);
                return false;
            }
            ++n;
        }
        return true;
    };
    if (!write("table", kPaths, sizeof kPaths / sizeof kPaths[0])) return 1;
    if (!write("grizzly", kGrizzlyPaths, sizeof kGrizzlyPaths / sizeof kGrizzlyPaths[0])) return 1;
    std::printf("%d seeds written to %s\n", n, dir);
    return 0;
}

}  // namespace

int main(int argc, char** argv)
{
    if (argc == 3 && std::strcmp(argv[1], "--write-corpus") == 0) return write_corpus(argv[2]);

    Suite* s = suite_create("acl");
    TCase* paths = tcase_create("paths");
    tcase_add_test(paths, path_table);
    tcase_add_test(paths, path_every_letter_encoded);
    tcase_add_test(paths, path_buffer_bounds);
    tcase_add_test(paths, grizzly_path_table);
    tcase_add_test(paths, grizzly_buffer_bounds);
    tcase_add_test(paths, path_status_texts);
    suite_add_tcase(s, paths);

    TCase* addresses = tcase_create("addresses");
    tcase_add_test(addresses, ip_parse_good);
    tcase_add_test(addresses, ip_parse_bad);
    tcase_add_test(addresses, cidr_edges);
    tcase_add_test(addresses, cidr_bad_words);
    tcase_add_test(addresses, cidr_set_and_local);
    suite_add_tcase(s, addresses);

    TCase* rules = tcase_create("rules");
    tcase_add_test(rules, rules_segment_boundaries);
    tcase_add_test(rules, rules_decisions);
    tcase_add_test(rules, rules_config_errors);
    tcase_add_test(rules, rules_merge);
    suite_add_tcase(s, rules);

    TCase* clients = tcase_create("clients");
    tcase_add_test(clients, client_forged_header_from_untrusted_peer);
    tcase_add_test(clients, client_x_forwarded_for_chains);
    tcase_add_test(clients, client_forwarded_syntax);
    tcase_add_test(clients, client_both_headers);
    tcase_add_test(clients, client_entry_parsers);
    suite_add_tcase(s, clients);

    return unit::run_suite(s);
}
