// ox::http::ResponseReader (head parser + chunked decoder) over whole
// responses, each fed at once, split in two at every point and byte by
// byte: every feed must end with the same verdict. Each refused input names
// the rule in its detail.
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "http/http_reader.h"
#include "unit_util.h"

using ox::http::ResponseReader;
using Step = ResponseReader::Step;

namespace {

struct Options {
    bool head_request = false;
    bool upgrade = false;
    std::size_t max_head = ox::http::kDefaultMaxHead;
};

// What a whole feed ended with.
struct Verdict {
    std::string end;  // "done", "malformed", "eof" (ended by the close), "truncated"
    std::string detail;
    int status = 0;
    std::string headers;  // "name: value|" per field passed on
    std::string reason;
    std::string body;
    std::size_t left = 0;  // input bytes behind a done response
    bool keep_alive = false;
    bool upgraded = false;

    bool operator==(const Verdict& o) const
    {
        return end == o.end && detail == o.detail && status == o.status && headers == o.headers &&
               reason == o.reason && body == o.body && left == o.left && keep_alive == o.keep_alive &&
               upgraded == o.upgraded;
    }
    std::string str() const
    {
        return end + " [" + detail + "] status=" + std::to_string(status) + " headers=" + headers + " body='" + body +
               "' left=" + std::to_string(left) + " keep_alive=" + std::to_string(keep_alive);
    }
};

// Feeds `input` in pieces ending at `cuts` (and its end). The unread bytes
// are copied to a new heap block before every call, so the reader sees them
// move as a connection's buffer does.
Verdict feed(std::string_view input, const std::vector<std::size_t>& cuts, const Options& opt)
{
    ResponseReader r;
    r.start(opt.head_request, opt.upgrade, opt.max_head);
    ox::proxy::Header storage[ox::http::kMaxHeaders];
    Verdict v;
    std::string pending;
    std::size_t fed = 0, consumed = 0;
    std::vector<std::size_t> ends = cuts;
    ends.push_back(input.size());
    for (std::size_t end : ends) {
        pending.append(input.substr(fed, end - fed));
        fed = end;
        for (;;) {
            std::unique_ptr<char[]> copy(new char[pending.size() + 1]);
            std::memcpy(copy.get(), pending.data(), pending.size());
            std::size_t used = 0, out_len = 0;
            const char* out = nullptr;
            Step s = r.next(copy.get(), pending.size(), used, out, out_len);
            ck_assert_uint_le(used, pending.size());
            if (s == Step::head) {
                ox::proxy::ResponseHead h;
                r.response_head(storage, h);
                v.status = h.status;
                v.reason = std::string(h.reason);
                for (std::size_t i = 0; i < h.header_count; ++i) {
                    v.headers += std::string(h.headers[i].name) + ": " + std::string(h.headers[i].value) + "|";
                }
                v.upgraded = r.upgraded();
            } else if (s == Step::body) {
                ck_assert(out >= copy.get() && out + out_len <= copy.get() + used);
                v.body.append(out, out_len);
            }
            pending.erase(0, used);
            consumed += used;
            if (s == Step::done) {
                v.end = "done";
                v.left = input.size() - consumed;
                v.keep_alive = r.keep_alive();
                return v;
            }
            if (s == Step::malformed) {
                v.end = "malformed";
                v.detail = r.detail();
                return v;
            }
            if (s == Step::need_more) break;
        }
    }
    v.end = r.at_eof() ? "eof" : "truncated";
    v.keep_alive = r.keep_alive();
    return v;
}

// The verdict of `input` fed whole, after checking that every two-piece
// split and the byte-by-byte feed give the same.
Verdict verdict(std::string_view input, const Options& opt = {})
{
    Verdict whole = feed(input, {}, opt);
    for (std::size_t i = 1; i < input.size(); ++i) {
        Verdict split = feed(input, {i}, opt);
        ck_assert_msg(split == whole, "split at %zu: %s\n  whole: %s", i, split.str().c_str(), whole.str().c_str());
    }
    std::vector<std::size_t> bytes;
    for (std::size_t i = 1; i < input.size(); ++i) bytes.push_back(i);
    Verdict each = feed(input, bytes, opt);
    ck_assert_msg(each == whole, "byte by byte: %s\n  whole: %s", each.str().c_str(), whole.str().c_str());
    return whole;
}

std::string ok_head(std::string_view fields) { return "HTTP/1.1 200 OK\r\n" + std::string(fields) + "\r\n"; }

struct Accepted {
    const char* name;
    std::string input;
    Options opt;
    const char* end;
    int status;
    const char* body;
    bool keep_alive;
    std::size_t left;
};

const std::vector<Accepted>& accepted_cases()
{
    static const std::vector<Accepted> cases = {
        {"Content-Length", ok_head("Content-Length: 5\r\n") + "hello", {}, "done", 200, "hello", true, 0},
        {"Content-Length 0", ok_head("Content-Length: 0\r\n"), {}, "done", 200, "", true, 0},
        {"bytes behind the body", ok_head("Content-Length: 2\r\n") + "hiHTTP/1.1 200 OK\r\n\r\n", {}, "done", 200,
         "hi", true, 19},
        {"chunked with extensions and trailers",
         ok_head("Transfer-Encoding: chunked\r\n") +
             "5;foo=bar\r\nhello\r\n6 ; x=\"y z\"\r\n world\r\nA\r\n0123456789\r\n0\r\nX-T: 1\r\nX-U:\r\n\r\n",
         {}, "done", 200, "hello world0123456789", true, 0},
        {"chunked, upper case and leading zeros", ok_head("Transfer-Encoding: CHUNKED\r\n") + "0003\r\nabc\r\n0\r\n\r\n",
         {}, "done", 200, "abc", true, 0},
        {"chunked, empty body", ok_head("Transfer-Encoding: chunked\r\n") + "0\r\n\r\n", {}, "done", 200, "", true, 0},
        {"until close", ok_head("") + "all of it", {}, "eof", 200, "all of it", false, 0},
        {"until close, empty", ok_head(""), {}, "eof", 200, "", false, 0},
        {"HTTP/1.0", "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx", {}, "done", 200, "x", false, 0},
        {"Connection: close", ok_head("Connection: keep-alive, Close\r\nContent-Length: 1\r\n") + "x", {}, "done", 200,
         "x", false, 0},
        {"HEAD", ok_head("Content-Length: 10\r\n"), {true, false, 65536}, "done", 200, "", true, 0},
        {"HEAD with chunked", ok_head("Transfer-Encoding: chunked\r\n"), {true, false, 65536}, "done", 200, "", true, 0},
        {"204", "HTTP/1.1 204 No Content\r\n\r\n", {}, "done", 204, "", true, 0},
        {"304 with Content-Length", "HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n", {}, "done", 304, "",
         true, 0},
        {"100 Continue skipped", "HTTP/1.1 100 Continue\r\n\r\n" + ok_head("Content-Length: 2\r\n") + "ok", {}, "done",
         200, "ok", true, 0},
        {"102 and 103 skipped",
         "HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n" +
             ok_head("Content-Length: 0\r\n"),
         {}, "done", 200, "", true, 0},
        {"no reason phrase", "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", {}, "done", 200, "", true, 0},
        {"empty reason phrase", "HTTP/1.1 503 \r\nContent-Length: 0\r\n\r\n", {}, "done", 503, "", true, 0},
        {"101 when asked for", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello",
         {false, true, 65536}, "done", 101, "", false, 7},
        {"head of exactly max_head bytes", ok_head("X: 12345678901234567890123\r\n"), {false, false, 47}, "eof", 200,
         "", false, 0},
        {"chunk size 2^62 (body then cut short)", ok_head("Transfer-Encoding: chunked\r\n") + "4000000000000000\r\nab",
         {}, "truncated", 200, "ab", true, 0},
    };
    return cases;
}

START_TEST(accepted)
{
    const Accepted& c = accepted_cases()[static_cast<std::size_t>(_i)];
    Verdict v = verdict(c.input, c.opt);
    ck_assert_msg(v.end == c.end, "%s: %s", c.name, v.str().c_str());
    ck_assert_msg(v.status == c.status, "%s: %s", c.name, v.str().c_str());
    ck_assert_msg(v.body == c.body, "%s: %s", c.name, v.str().c_str());
    ck_assert_msg(v.keep_alive == c.keep_alive, "%s: %s", c.name, v.str().c_str());
    ck_assert_msg(v.left == c.left, "%s: %s", c.name, v.str().c_str());
}
END_TEST

// What the client gets: fields in order, values without OWS (tabs inside
// kept, obs-text kept), Transfer-Encoding removed, Content-Length kept.
START_TEST(head_fields)
{
    Verdict v = verdict(ok_head("Content-Type:  text/plain \r\nX-Tab: a\tb\t\r\nX-Bin: \xe2\x82\xac\r\n"
                                "Transfer-Encoding: chunked\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nX-Empty:\r\n") +
                        "0\r\n\r\n");
    ck_assert_str_eq(v.end.c_str(), "done");
    ck_assert_str_eq(v.reason.c_str(), "OK");
    CK_ASSERT_STRING_EQ(v.headers, "Content-Type: text/plain|X-Tab: a\tb|X-Bin: \xe2\x82\xac|Set-Cookie: a=1|"
                                   "Set-Cookie: b=2|X-Empty: |");

    Verdict cl = verdict(ok_head("Content-Length: 1\r\n") + "x");
    CK_ASSERT_STRING_EQ(cl.headers, "Content-Length: 1|");
}
END_TEST

// Exactly 100 fields are taken, 101 are not.
START_TEST(header_count_limit)
{
    std::string fields;
    for (int i = 0; i < 100; ++i) fields += "X-" + std::to_string(i) + ": v\r\n";
    Verdict v = verdict(ok_head(fields + "Content-Length: 0\r\n"));
    ck_assert_str_eq(v.end.c_str(), "malformed");
    ck_assert_str_eq(v.detail.c_str(), "more than 100 header fields");
    Verdict ok = verdict(ok_head(fields));
    ck_assert_str_eq(ok.end.c_str(), "eof");
}
END_TEST

struct Refused {
    const char* name;
    std::string input;
    const char* detail;  // Outcome::detail, exactly
    Options opt;
};

std::string chunked(std::string_view body) { return ok_head("Transfer-Encoding: chunked\r\n") + std::string(body); }

const std::vector<Refused>& refused_cases()
{
    static const std::vector<Refused> cases = {
        // status line
        {"HTTP/2", "HTTP/2.0 200 OK\r\n\r\n", "status line does not start with HTTP/1.1 or HTTP/1.0", {}},
        {"HTTP/1.2", "HTTP/1.2 200 OK\r\n\r\n", "status line does not start with HTTP/1.1 or HTTP/1.0", {}},
        {"lower-case version", "http/1.1 200 OK\r\n\r\n", "status line does not start with HTTP/1.1 or HTTP/1.0", {}},
        {"not HTTP", "SSH-2.0-OpenSSH\r\n\r\n", "status line does not start with HTTP/1.1 or HTTP/1.0", {}},
        {"empty status line", "\r\n\r\n", "status line does not start with HTTP/1.1 or HTTP/1.0", {}},
        {"two spaces", "HTTP/1.1  200 OK\r\n\r\n", "status code is not three digits", {}},
        {"tab after version", "HTTP/1.1\t200 OK\r\n\r\n", "no single space after the HTTP version", {}},
        {"two digits", "HTTP/1.1 20 OK\r\n\r\n", "status code is not three digits", {}},
        {"four digits", "HTTP/1.1 2000 OK\r\n\r\n", "status code is not three digits", {}},
        {"099", "HTTP/1.1 099 X\r\n\r\n", "status code outside 100-599", {}},
        {"600", "HTTP/1.1 600 X\r\n\r\n", "status code outside 100-599", {}},
        {"control in reason", "HTTP/1.1 200 O\x01K\r\n\r\n", "control character in the reason phrase", {}},
        // line ends
        {"bare LF after the status line", "HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n", "bare LF in the response head", {}},
        {"bare LF after a field", ok_head("X: a\nContent-Length: 0\r\n"), "bare LF in the response head", {}},
        {"bare LF ends the head", "HTTP/1.1 200 OK\r\nX: a\r\n\n", "bare LF in the response head", {}},
        {"bare CR in a value", ok_head("X: a\rb\r\n"), "CR without LF in the response head", {}},
        // fields
        {"obs-fold", ok_head("X: a\r\n  folded\r\n"), "header line starts with whitespace (obs-fold)", {}},
        {"whitespace before the first field", "HTTP/1.1 200 OK\r\n X: a\r\n\r\n",
         "header line starts with whitespace (obs-fold)", {}},
        {"no colon", ok_head("NoColon\r\n"), "header line without ':'", {}},
        {"space before colon", ok_head("Content-Length : 5\r\n"), "whitespace before ':' in a header line", {}},
        {"tab before colon", ok_head("X\t: a\r\n"), "whitespace before ':' in a header line", {}},
        {"empty name", ok_head(": a\r\n"), "empty header name", {}},
        {"non-token name", ok_head("X(y): a\r\n"), "invalid character in a header name", {}},
        {"space in name", ok_head("X Y: a\r\n"), "invalid character in a header name", {}},
        {"NUL in value", ok_head(std::string("X: a\0b\r\n", 8)), "control character in a header value", {}},
        {"DEL in value", ok_head("X: a\x7f\r\n"), "control character in a header value", {}},
        {"escape in value", ok_head("X: \x1b[31m\r\n"), "control character in a header value", {}},
        {"head too large", ok_head("X: 123456789012345678901234\r\n"), "response head too large", {false, false, 47}},
        {"head too large, never ends", "HTTP/1.1 200 OK\r\nX: " + std::string(200, 'a'), "response head too large",
         {false, false, 100}},
        // framing
        {"Content-Length not a number", ok_head("Content-Length: 5x\r\n"), "invalid Content-Length", {}},
        {"Content-Length negative", ok_head("Content-Length: -1\r\n"), "invalid Content-Length", {}},
        {"Content-Length with a sign", ok_head("Content-Length: +5\r\n"), "invalid Content-Length", {}},
        {"Content-Length empty", ok_head("Content-Length:\r\n"), "invalid Content-Length", {}},
        {"Content-Length list", ok_head("Content-Length: 5, 5\r\n"), "invalid Content-Length", {}},
        {"Content-Length beyond 2^62", ok_head("Content-Length: 4611686018427387905\r\n"), "invalid Content-Length", {}},
        {"Content-Length overflowing", ok_head("Content-Length: 99999999999999999999999\r\n"), "invalid Content-Length", {}},
        {"Content-Lengths that differ", ok_head("Content-Length: 5\r\nContent-Length: 6\r\n"),
         "more than one Content-Length field", {}},
        // RFC 9112 would allow merging equal ones; issue 12 asks for 502.
        {"equal duplicate Content-Length", ok_head("Content-Length: 3\r\ncontent-length: 3\r\n") + "abc",
         "more than one Content-Length field", {}},
        {"gzip", ok_head("Transfer-Encoding: gzip\r\n"), "Transfer-Encoding other than a single chunked", {}},
        {"gzip, chunked", ok_head("Transfer-Encoding: gzip, chunked\r\n"), "Transfer-Encoding other than a single chunked", {}},
        {"chunked twice in one field", ok_head("Transfer-Encoding: chunked, chunked\r\n"),
         "Transfer-Encoding other than a single chunked", {}},
        {"two Transfer-Encoding fields", ok_head("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"),
         "Transfer-Encoding other than a single chunked", {}},
        {"TE and CL", ok_head("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n"),
         "both Transfer-Encoding and Content-Length", {}},
        {"CL and TE", ok_head("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n"),
         "both Transfer-Encoding and Content-Length", {}},
        {"TE in HTTP/1.0", "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
         "Transfer-Encoding in an HTTP/1.0 response", {}},
        // interim responses
        {"101 not asked for", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n",
         "101 Switching Protocols to a request that asked for no upgrade", {}},
        {"17 interim responses", [] {
             std::string s;
             for (int i = 0; i < 17; ++i) s += "HTTP/1.1 100 Continue\r\n\r\n";
             return s + "HTTP/1.1 200 OK\r\n\r\n";
         }(), "too many interim (1xx) responses", {}},
        {"bad interim head", "HTTP/1.1 100 Continue\r\nX : y\r\n\r\n", "whitespace before ':' in a header line", {}},
        // chunks
        {"size not hex", chunked("g\r\n"), "chunk size is not a hex number", {}},
        {"no size", chunked(";ext\r\n"), "chunk size is not a hex number", {}},
        {"empty size line", chunked("\r\n"), "chunk size is not a hex number", {}},
        {"0x prefix", chunked("0x5\r\n"), "chunk size is not a hex number", {}},
        {"negative size", chunked("-5\r\n"), "chunk size is not a hex number", {}},
        {"whitespace without extension", chunked("5 \r\nhello\r\n0\r\n\r\n"),
         "whitespace after a chunk size without an extension", {}},
        {"bare LF after size", chunked("5\nhello\r\n0\r\n\r\n"), "chunk size is not a hex number", {}},
        {"CR without LF after size", chunked("5\rhello\r\n0\r\n\r\n"), "chunk size line not ended by CRLF", {}},
        {"control in extension", chunked("5;a\x01\r\nhello\r\n0\r\n\r\n"), "control character in a chunk extension", {}},
        {"bare LF in extension", chunked("5;a\nhello\r\n0\r\n\r\n"), "control character in a chunk extension", {}},
        {"extension too long", chunked("5;" + std::string(1100, 'e') + "\r\nhello\r\n0\r\n\r\n"),
         "chunk size line too long", {}},
        {"size beyond 2^62", chunked("4000000000000001\r\n"), "chunk size too large", {}},
        {"size overflowing 64 bits", chunked("100000000000000000\r\n"), "chunk size too large", {}},
        {"data longer than its size", chunked("5\r\nhelloX\r\n0\r\n\r\n"), "chunk data not followed by CRLF", {}},
        {"LF only after data", chunked("5\r\nhello\n0\r\n\r\n"), "chunk data not followed by CRLF", {}},
        {"CR only after data", chunked("5\r\nhello\r0\r\n\r\n"), "chunk data not followed by CRLF", {}},
        {"trailer obs-fold", chunked("0\r\nX: a\r\n b\r\n\r\n"), "trailer line starts with whitespace (obs-fold)", {}},
        {"trailer without colon", chunked("0\r\nNoColon\r\n\r\n"), "invalid trailer field", {}},
        {"trailer control", chunked("0\r\nX: a\x01\r\n\r\n"), "control character in a trailer field", {}},
        {"trailer bare LF", chunked("0\r\nX: a\n\r\n"), "control character in a trailer field", {}},
        {"trailer CR without LF", chunked("0\r\nX: a\rb\r\n\r\n"), "trailer line not ended by CRLF", {}},
        {"last chunk without blank line", chunked("0\r\n\rX"), "trailer section not ended by CRLF", {}},
        {"trailers too large", chunked("0\r\n" + std::string(17000, 'x') + ": y\r\n\r\n"), "trailer section too large", {}},
    };
    return cases;
}

START_TEST(refused)
{
    const Refused& c = refused_cases()[static_cast<std::size_t>(_i)];
    Verdict v = verdict(c.input, c.opt);
    ck_assert_msg(v.end == "malformed", "%s: %s", c.name, v.str().c_str());
    ck_assert_msg(v.detail == c.detail, "%s: detail '%s', expected '%s'", c.name, v.detail.c_str(), c.detail);
}
END_TEST

// Cut short: never done, whatever the framing (the exchange turns this into
// backend_closed and an aborted response).
START_TEST(truncated)
{
    const std::string cases[] = {
        "",
        "HTTP/1.1 200 OK\r\n",
        ok_head("Content-Length: 10\r\n") + "hello",
        chunked("5\r\nhel"),
        chunked("5\r\nhello\r\n"),
        chunked("0\r\n"),
        chunked("0\r\nX: y\r\n"),
        "HTTP/1.1 100 Continue\r\n\r\n",
    };
    for (const std::string& in : cases) {
        Verdict v = verdict(in);
        ck_assert_msg(v.end == "truncated", "'%s': %s", in.c_str(), v.str().c_str());
    }
}
END_TEST

// The reader stops at the end of the response; a reader restarted on the
// rest reads the next one (keep-alive).
START_TEST(two_responses_in_a_row)
{
    std::string first = chunked("3\r\nabc\r\n0\r\n\r\n");
    std::string second = ok_head("Content-Length: 2\r\n") + "de";
    Verdict v = verdict(first + second);
    ck_assert_str_eq(v.end.c_str(), "done");
    ck_assert_uint_eq(v.left, second.size());
    Verdict w = verdict(second);
    ck_assert_str_eq(w.body.c_str(), "de");
}
END_TEST

}  // namespace

int main()
{
    Suite* s = suite_create("http_response");
    TCase* tc = tcase_create("reader");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, accepted, 0, static_cast<int>(accepted_cases().size()));
    tcase_add_loop_test(tc, refused, 0, static_cast<int>(refused_cases().size()));
    tcase_add_test(tc, head_fields);
    tcase_add_test(tc, header_count_limit);
    tcase_add_test(tc, truncated);
    tcase_add_test(tc, two_responses_in_a_row);
    suite_add_tcase(s, tc);
    return unit::run_suite(s);
}
