// OXStateFile: the text an operator reads, the round trip through a real
// file, every way a file can be broken (each refused with its line and the
// whole file ignored), which value a member starts with, and atomic writes
// (a write that fails, for real, leaves the old file).
#include <dirent.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "state/state_file.h"
#include "unit_util.h"

using ox::AdminState;
using ox::state::ReadResult;
using ox::state::SavedMember;
using ox::state::SavedState;
namespace st = ox::state;

namespace {

bool contains(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

// A fresh directory, removed with its files at the end of the test.
class TempDir {
public:
    TempDir()
    {
        const char* base = std::getenv("TMPDIR");
        std::string tmpl = std::string(base && *base ? base : "/tmp") + "/oxb-state-XXXXXX";
        if (!::mkdtemp(tmpl.data())) {
            std::perror("mkdtemp");
            std::abort();
        }
        path_ = tmpl;
    }
    ~TempDir()
    {
        for (const std::string& f : files()) {
            std::string p = path_ + "/" + f;
            if (::unlink(p.c_str()) != 0) ::rmdir(p.c_str());
        }
        ::rmdir(path_.c_str());
    }
    const std::string& path() const { return path_; }
    std::string file(const char* name) const { return path_ + "/" + name; }
    std::vector<std::string> files() const
    {
        std::vector<std::string> out;
        DIR* d = ::opendir(path_.c_str());
        if (!d) return out;
        while (dirent* e = ::readdir(d)) {
            std::string n = e->d_name;
            if (n != "." && n != "..") out.push_back(n);
        }
        ::closedir(d);
        return out;
    }

private:
    std::string path_;
};

std::string slurp(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void spit(const std::string& path, const std::string& text)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
}

SavedMember member(const char* balancer, const char* url, AdminState admin, unsigned lf, AdminState config_admin,
                   unsigned config_lf)
{
    SavedMember m;
    m.balancer = balancer;
    m.url = url;
    m.admin = admin;
    m.loadfactor = lf;
    m.config_admin = config_admin;
    m.config_loadfactor = config_lf;
    return m;
}

SavedState sample()
{
    SavedState s;
    s.members.push_back(member("oxcluster", "ajp://10.20.30.213:8009", AdminState::draining, 50, AdminState::active, 50));
    s.members.push_back(member("oxcluster", "ajp://10.20.30.215:8009", AdminState::active, 25, AdminState::active, 50));
    s.members.push_back(member("oxcluster_sync", "ajp://10.20.30.213:8009", AdminState::standby, 1, AdminState::disabled, 1));
    return s;
}

const char* const kSampleText =
    "# mod_oxbalance OXStateFile: admin states and load factors set at run time.\n"
    "# Written by httpd on every change and read at start; a member whose status= or\n"
    "# loadfactor= in the configuration changed since takes the configuration's value.\n"
    "# Edit only while httpd is stopped. Format: docs/status.md.\n"
    "oxbalance-state 1\n"
    "member oxcluster ajp://10.20.30.213:8009 admin=draining loadfactor=50 configured-admin=active configured-loadfactor=50\n"
    "member oxcluster ajp://10.20.30.215:8009 admin=active loadfactor=25 configured-admin=active configured-loadfactor=50\n"
    "member oxcluster_sync ajp://10.20.30.213:8009 admin=standby loadfactor=1 configured-admin=disabled configured-loadfactor=1\n"
    "end 3\n";

bool same(const SavedState& a, const SavedState& b)
{
    if (a.members.size() != b.members.size()) return false;
    for (std::size_t i = 0; i < a.members.size(); ++i) {
        const SavedMember &x = a.members[i], &y = b.members[i];
        if (x.balancer != y.balancer || x.url != y.url || x.admin != y.admin || x.loadfactor != y.loadfactor ||
            x.config_admin != y.config_admin || x.config_loadfactor != y.config_loadfactor)
            return false;
    }
    return true;
}

}  // namespace

// The file is the text the header documents, line for line.
START_TEST(format_is_readable)
{
    CK_ASSERT_STRING_EQ(st::format_state_file(sample()), kSampleText);
    CK_ASSERT_STRING_EQ(st::format_state_file(SavedState{}),
                        std::string(kSampleText).substr(0, std::string(kSampleText).find("\nmember ") + 1) + "end 0\n");
}
END_TEST

START_TEST(round_trip)
{
    SavedState in = sample();
    // Names with bytes that need %XX: space, '%', a control, UTF-8.
    in.members.push_back(member("b 1%", "ajp://h\x01\xC3\xA9:1", AdminState::disabled, 100, AdminState::draining, 100));
    std::string text = st::format_state_file(in);
    ck_assert(contains(text, "member b%201%25 ajp://h%01%C3%A9:1 "));
    SavedState out;
    CK_ASSERT_STRING_EQ(st::parse_state_file(text, out), "");
    ck_assert(same(in, out));

    TempDir dir;
    std::string path = dir.file("state");
    CK_ASSERT_STRING_EQ(st::write_state_file(path, in), "");
    CK_ASSERT_STRING_EQ(slurp(path), text);
    SavedState read;
    std::string err;
    ck_assert(st::read_state_file(path, read, err) == ReadResult::ok);
    CK_ASSERT_STRING_EQ(err, "");
    ck_assert(same(in, read));
    // Only the file itself is left (no temporary), readable by the operator.
    ck_assert_uint_eq(dir.files().size(), 1);
    struct stat sb {};
    ck_assert_int_eq(::stat(path.c_str(), &sb), 0);
    ck_assert_int_eq(sb.st_mode & 0777, 0644);

    // A second write replaces it.
    SavedState two;
    two.members.push_back(in.members[0]);
    CK_ASSERT_STRING_EQ(st::write_state_file(path, two), "");
    ck_assert(st::read_state_file(path, read, err) == ReadResult::ok);
    ck_assert(same(two, read));
    ck_assert_uint_eq(dir.files().size(), 1);

    // A relative path (the current directory) works too.
    char cwd[4096];
    ck_assert_ptr_nonnull(::getcwd(cwd, sizeof cwd));
    ck_assert_int_eq(::chdir(dir.path().c_str()), 0);
    CK_ASSERT_STRING_EQ(st::write_state_file("relative", two), "");
    ck_assert_int_eq(::chdir(cwd), 0);
    ck_assert(st::read_state_file(dir.file("relative"), read, err) == ReadResult::ok);
    ck_assert(same(two, read));
}
END_TEST

// What an operator may do to the file by hand and still have it read:
// comments, blank lines, CRLF, tabs and extra spaces, keys in any order.
START_TEST(lenient_where_harmless)
{
    const char* text =
        "\n# my notes\n"
        "oxbalance-state 1\r\n"
        "  # indented comment\n"
        "member\toxcluster   ajp://a:8009  configured-loadfactor=5 configured-admin=active loadfactor=7 admin=draining  \n"
        "\n"
        "end 1\n"
        "# trailing comment\n\n";
    SavedState out;
    CK_ASSERT_STRING_EQ(st::parse_state_file(text, out), "");
    ck_assert_uint_eq(out.members.size(), 1);
    CK_ASSERT_STRING_EQ(out.members[0].url, "ajp://a:8009");
    ck_assert(out.members[0].admin == AdminState::draining);
    ck_assert_uint_eq(out.members[0].loadfactor, 7);
    ck_assert_uint_eq(out.members[0].config_loadfactor, 5);
}
END_TEST

// Each broken file is refused as a whole, with the line and what is wrong.
START_TEST(broken_files)
{
    const std::string head = "oxbalance-state 1\n";
    const std::string m1 = "member b ajp://a:1 admin=draining loadfactor=5 configured-admin=active configured-loadfactor=5\n";
    struct Case {
        std::string text;
        const char* error;  // the whole error text, or its start
    } cases[] = {
        {"", "line 1: empty file"},
        {"# only a comment\n\n", "line 2: empty file"},
        {"oxbalance-state 2\n" + m1 + "end 1\n", "line 1: version 2 is not supported (this module reads version 1)"},
        {"oxbalance-state 0\nend 0\n", "line 1: version 0 is not supported"},
        {"oxbalance-state one\nend 0\n", "line 1: bad version 'one'"},
        {"oxbalance-state\nend 0\n", "line 1: expected 'oxbalance-state 1'"},
        {"OXBALANCE-STATE 1\nend 0\n", "line 1: expected 'oxbalance-state 1'"},
        {"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\n", "line 1: expected 'oxbalance-state 1', found '?PNG'"},
        {head + m1, "line 2: the file has no 'end' line"},
        {head + m1 + "end 2\n", "line 3: 'end 2' but 1 member lines"},
        {head + m1 + m1 + "end 2\n", "line 3: member 'ajp://a:1' of balancer 'b' appears twice"},
        {head + m1 + "end 1\n" + m1, "line 4: text after 'end'"},
        {head + m1 + "end\n", "line 3: expected 'end COUNT'"},
        {head + m1 + "end 1", "line 3: the file ends in the middle of a line"},
        {head + "server b ajp://a:1\nend 0\n", "line 2: unknown line 'server b ajp://a:1'"},
        {head + "member b\nend 1\n", "line 2: a member line is"},
        {head + "member b ajp://a:1 admin=draining loadfactor=5 configured-admin=active\nend 1\n",
         "line 2: configured-loadfactor= is missing"},
        {head + "member b ajp://a:1 admin=draining admin=active loadfactor=5 configured-admin=active configured-loadfactor=5\nend 1\n",
         "line 2: admin= given twice"},
        {head + "member b ajp://a:1 admin=paused loadfactor=5 configured-admin=active configured-loadfactor=5\nend 1\n",
         "line 2: admin=paused: expected active, draining, disabled or standby"},
        {head + "member b ajp://a:1 admin=active loadfactor=0 configured-admin=active configured-loadfactor=5\nend 1\n",
         "line 2: loadfactor=0: expected a load factor from 1 to 100"},
        {head + "member b ajp://a:1 admin=active loadfactor=101 configured-admin=active configured-loadfactor=5\nend 1\n",
         "line 2: loadfactor=101"},
        {head + "member b ajp://a:1 admin=active loadfactor=5 configured-admin=active configured-loadfactor=-1\nend 1\n",
         "line 2: configured-loadfactor=-1"},
        {head + "member b ajp://a:1 admin=active loadfactor=5 configured-admin=active configured-loadfactor=5 weight=3\nend 1\n",
         "line 2: unknown key 'weight'"},
        {head + "member b ajp://a:1 admin=active loadfactor=5 configured-admin=active configured-loadfactor=5 junk\nend 1\n",
         "line 2: expected key=value, found 'junk'"},
        {head + "member b%2 ajp://a:1 admin=active loadfactor=5 configured-admin=active configured-loadfactor=5\nend 1\n",
         "line 2: bad balancer name 'b%2'"},
        {head + "member b ajp://a:1%zz admin=active loadfactor=5 configured-admin=active configured-loadfactor=5\nend 1\n",
         "line 2: bad member URL"},
        {head + std::string("member b ajp://a:1 admin=active\0 loadfactor=5\nend 1\n", 52), "line 2: NUL byte"},
    };
    for (const Case& c : cases) {
        SavedState out;
        out.members.push_back(SavedMember{});  // cleared in any case
        std::string err = st::parse_state_file(c.text, out);
        ck_assert_msg(err.rfind(c.error, 0) == 0, "file \"%.60s...\": expected \"%s...\", got \"%s\"", c.text.c_str(),
                      c.error, err.c_str());
        ck_assert_uint_eq(out.members.size(), 0);
    }
}
END_TEST

// A file cut short anywhere (a crash of a writer that did not write
// atomically, a full disk, a copy gone wrong) is refused, never half read.
START_TEST(every_truncation_refused)
{
    const std::string text = kSampleText;
    for (std::size_t n = 0; n < text.size(); ++n) {
        SavedState out;
        std::string err = st::parse_state_file(text.substr(0, n), out);
        ck_assert_msg(!err.empty(), "a file cut after %zu of %zu bytes was accepted", n, text.size());
        ck_assert_uint_eq(out.members.size(), 0);
    }
    SavedState out;
    CK_ASSERT_STRING_EQ(st::parse_state_file(text, out), "");
}
END_TEST

START_TEST(read_results)
{
    TempDir dir;
    SavedState out;
    std::string err;
    ck_assert(st::read_state_file(dir.file("absent"), out, err) == ReadResult::missing);
    CK_ASSERT_STRING_EQ(err, "");

    // A directory where the file should be.
    ck_assert(st::read_state_file(dir.path(), out, err) == ReadResult::error);
    ck_assert_msg(contains(err, dir.path().c_str()) && contains(err, "not a regular file"), "%s", err.c_str());

    // A parse error names the path and the line.
    std::string bad = dir.file("bad");
    spit(bad, "oxbalance-state 1\nmember b ajp://a:1 admin=gone\nend 1\n");
    err.clear();
    ck_assert(st::read_state_file(bad, out, err) == ReadResult::error);
    ck_assert_msg(err.rfind(bad + ": line 2: ", 0) == 0, "%s", err.c_str());
    ck_assert_uint_eq(out.members.size(), 0);

    // Garbage of any size is bounded.
    std::string big = dir.file("big");
    spit(big, std::string(st::kMaxStateFileBytes + 10, 'x'));
    err.clear();
    ck_assert(st::read_state_file(big, out, err) == ReadResult::error);
    ck_assert_msg(contains(err, "larger than"), "%s", err.c_str());
}
END_TEST

// The configuration wins where it changed since the file was written;
// otherwise the operator's run-time change stands. Each value on its own.
START_TEST(start_values)
{
    SavedState s = sample();
    // Unchanged configuration: the file's values.
    auto v = st::start_values(s, "oxcluster", "ajp://10.20.30.213:8009", AdminState::active, 50);
    ck_assert(v.admin == AdminState::draining);
    ck_assert_uint_eq(v.loadfactor, 50);
    v = st::start_values(s, "oxcluster", "ajp://10.20.30.215:8009", AdminState::active, 50);
    ck_assert(v.admin == AdminState::active);
    ck_assert_uint_eq(v.loadfactor, 25);
    // status= edited (active -> disabled): the configuration's state, the
    // file's load factor.
    v = st::start_values(s, "oxcluster", "ajp://10.20.30.213:8009", AdminState::disabled, 50);
    ck_assert(v.admin == AdminState::disabled);
    ck_assert_uint_eq(v.loadfactor, 50);
    // loadfactor= edited (50 -> 80): the configuration's load factor, the
    // file's state.
    v = st::start_values(s, "oxcluster", "ajp://10.20.30.215:8009", AdminState::active, 80);
    ck_assert(v.admin == AdminState::active);
    ck_assert_uint_eq(v.loadfactor, 80);
    v = st::start_values(s, "oxcluster_sync", "ajp://10.20.30.213:8009", AdminState::disabled, 1);
    ck_assert(v.admin == AdminState::standby);
    // A member the file does not have (new in the configuration), or in
    // another balancer: the configuration.
    v = st::start_values(s, "oxcluster", "ajp://10.20.30.99:8009", AdminState::draining, 10);
    ck_assert(v.admin == AdminState::draining);
    ck_assert_uint_eq(v.loadfactor, 10);
    v = st::start_values(s, "oxcluster_docs", "ajp://10.20.30.213:8009", AdminState::active, 50);
    ck_assert(v.admin == AdminState::active);
    // Members in the file but no longer configured are simply never asked
    // for; an empty state answers with the configuration.
    v = st::start_values(SavedState{}, "oxcluster", "ajp://10.20.30.213:8009", AdminState::active, 50);
    ck_assert(v.admin == AdminState::active);
    ck_assert_uint_eq(v.loadfactor, 50);
}
END_TEST

// A write that fails for real (the file-size limit: write() returns EFBIG,
// even for root) leaves the old file byte for byte, and no temporary.
START_TEST(failed_write_keeps_old_file)
{
    TempDir dir;
    std::string path = dir.file("state");
    CK_ASSERT_STRING_EQ(st::write_state_file(path, sample()), "");
    const std::string before = slurp(path);

    SavedState huge;
    for (int i = 0; i < 2000; ++i) {
        huge.members.push_back(member("oxcluster", ("ajp://10.0." + std::to_string(i) + ".1:8009").c_str(),
                                      AdminState::disabled, 1, AdminState::active, 1));
    }
    pid_t kid = ::fork();
    ck_assert_int_ge(kid, 0);
    if (kid == 0) {
        std::signal(SIGXFSZ, SIG_IGN);
        rlimit lim{4096, 4096};
        if (::setrlimit(RLIMIT_FSIZE, &lim) != 0) _exit(3);
        std::string err = st::write_state_file(path, huge);
        // The error names what failed.
        _exit(err.empty() ? 1 : contains(err, "cannot write") && contains(err, ".state.tmp.") ? 0 : 2);
    }
    int status = 0;
    ck_assert_int_eq(::waitpid(kid, &status, 0), kid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child: %d", status);
    CK_ASSERT_STRING_EQ(slurp(path), before);
    ck_assert_uint_eq(dir.files().size(), 1);

    // Other failures: a directory that does not exist; a directory where
    // the file should be (the rename fails). Nothing is left behind.
    std::string err = st::write_state_file(dir.file("no/such/state"), sample());
    ck_assert_msg(contains(err, "cannot create a temporary file"), "%s", err.c_str());
    std::string sub = dir.file("adir");
    ck_assert_int_eq(::mkdir(sub.c_str(), 0755), 0);
    err = st::write_state_file(sub, sample());
    ck_assert_msg(contains(err, "cannot rename onto") && contains(err, sub.c_str()), "%s", err.c_str());
    ck_assert_uint_eq(dir.files().size(), 2);  // state and adir
    err = st::write_state_file(dir.path() + "/", sample());
    ck_assert_msg(contains(err, "not a file name"), "%s", err.c_str());
    CK_ASSERT_STRING_EQ(slurp(path), before);
}
END_TEST

int main()
{
    Suite* s = suite_create("state_file");
    TCase* tc = tcase_create("state_file");
    tcase_add_test(tc, format_is_readable);
    tcase_add_test(tc, round_trip);
    tcase_add_test(tc, lenient_where_harmless);
    tcase_add_test(tc, broken_files);
    tcase_add_test(tc, every_truncation_refused);
    tcase_add_test(tc, read_results);
    tcase_add_test(tc, start_values);
    tcase_add_test(tc, failed_write_keeps_old_file);
    suite_add_tcase(s, tc);
    return unit::run_suite(s);
}
