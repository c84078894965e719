// configdb.properties (Java properties syntax, OX's keys), the JDBC URL
// forms, the OXConfigDB argument form, the schema script splitter, and
// that every error names its line and never shows a password.
#include <string>
#include <vector>

#include "configdb/properties.h"
#include "configdb/schema.h"
#include "configdb/store.h"
#include "unit_util.h"

using namespace ox::configdb;

namespace {

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

std::vector<Property> props(const std::string& text)
{
    std::vector<Property> out;
    std::string err = parse_properties(text, out);
    ck_assert_msg(err.empty(), "unexpected error: %s", err.c_str());
    return out;
}

const char kOxFile[] =
    "# configdb.properties as OX writes it\n"
    "readDriverClass=com.mysql.jdbc.Driver\n"
    "readUrl=jdbc:mysql://10.20.30.40/configdb\n"
    "readProperty.1=user=openexchange\n"
    "readProperty.2=password=s3cret\n"
    "readProperty.3=useUnicode=true\n"
    "writeDriverClass=com.mysql.jdbc.Driver\n"
    "writeUrl=jdbc:mysql://10.20.30.41:3307/configdb?useSSL=false\n"
    "writeProperty.1=user=oxwriter\n"
    "writeProperty.2=password=w\\u00e9rite\n"
    "cleanerInterval=10000\n";

}  // namespace

// ---- Java properties syntax ---------------------------------------------------

START_TEST(separators_and_comments)
{
    auto p = props("a=1\nb: 2\nc 3\n  d   =   4  \n# x=1\n! y=2\n\ne\n f\t=\t\n");
    ck_assert_uint_eq(p.size(), 6);
    CK_ASSERT_STRING_EQ(p[0].key, "a");
    CK_ASSERT_STRING_EQ(p[0].value, "1");
    CK_ASSERT_STRING_EQ(p[1].key, "b");
    CK_ASSERT_STRING_EQ(p[1].value, "2");
    CK_ASSERT_STRING_EQ(p[2].key, "c");
    CK_ASSERT_STRING_EQ(p[2].value, "3");
    CK_ASSERT_STRING_EQ(p[3].key, "d");
    CK_ASSERT_STRING_EQ(p[3].value, "4  ");  // trailing blanks belong to the value, as in Java
    CK_ASSERT_STRING_EQ(p[4].key, "e");
    CK_ASSERT_STRING_EQ(p[4].value, "");
    CK_ASSERT_STRING_EQ(p[5].key, "f");
    CK_ASSERT_STRING_EQ(p[5].value, "");
    ck_assert_uint_eq(p[5].line, 9);
}
END_TEST

START_TEST(separator_rules)
{
    // Only one separator is eaten; "key = =v" has the value "=v"; "k v=w"
    // has the value "v=w"; "k:=v" the value "=v".
    auto p = props("k1 = =v\nk2 v=w\nk3:=v\nk4 : v\n");
    CK_ASSERT_STRING_EQ(p[0].value, "=v");
    CK_ASSERT_STRING_EQ(p[1].value, "v=w");
    CK_ASSERT_STRING_EQ(p[2].value, "=v");
    CK_ASSERT_STRING_EQ(p[3].value, "v");
}
END_TEST

START_TEST(escapes)
{
    auto p = props("a\\=b\\:c\\ d=x\\ty\\nz\\r\\f\\\\\\q\nu=\\u0041\\u00e9\\u20ac\\uD83D\\uDE00\n");
    CK_ASSERT_STRING_EQ(p[0].key, "a=b:c d");
    CK_ASSERT_STRING_EQ(p[0].value, "x\ty\nz\r\f\\q");
    CK_ASSERT_STRING_EQ(p[1].value, "A\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
}
END_TEST

START_TEST(continuation_lines)
{
    auto p = props("url=jdbc:mysql://h/\\\n        configdb\nnext=1\neven=a\\\\\nlast=2\n");
    ck_assert_uint_eq(p.size(), 4);
    CK_ASSERT_STRING_EQ(p[0].value, "jdbc:mysql://h/configdb");
    ck_assert_uint_eq(p[0].line, 1);
    CK_ASSERT_STRING_EQ(p[1].key, "next");
    ck_assert_uint_eq(p[1].line, 3);
    CK_ASSERT_STRING_EQ(p[2].value, "a\\");  // an even count of backslashes does not continue
    CK_ASSERT_STRING_EQ(p[3].key, "last");
    // A comment line does not continue, even when it ends in a backslash.
    auto q = props("# comment \\\nkey=v\n");
    ck_assert_uint_eq(q.size(), 1);
    CK_ASSERT_STRING_EQ(q[0].key, "key");
}
END_TEST

START_TEST(line_ends)
{
    auto p = props("a=1\r\nb=2\rc=3\n\nd=4");
    ck_assert_uint_eq(p.size(), 4);
    CK_ASSERT_STRING_EQ(p[0].value, "1");
    CK_ASSERT_STRING_EQ(p[1].value, "2");
    CK_ASSERT_STRING_EQ(p[2].value, "3");
    ck_assert_uint_eq(p[2].line, 3);
    ck_assert_uint_eq(p[3].line, 5);
    CK_ASSERT_STRING_EQ(p[3].value, "4");
}
END_TEST

START_TEST(malformed_escapes_name_the_line)
{
    std::vector<Property> out;
    std::string err = parse_properties("a=1\nb=2\nc=\\u12G4\n", out);
    ck_assert_msg(contains(err, "line 3: malformed \\uXXXX"), "%s", err.c_str());
    err = parse_properties("a=\\uD800x\n", out);
    ck_assert_msg(contains(err, "line 1: ") && contains(err, "surrogate"), "%s", err.c_str());
    err = parse_properties("a=1\nb=x\\u12", out);
    ck_assert_msg(contains(err, "line 2: "), "%s", err.c_str());
    err = parse_properties(std::string("a=1\nb=\0\n", 8), out);
    ck_assert_msg(contains(err, "line 2: NUL"), "%s", err.c_str());
}
END_TEST

// ---- JDBC URLs ------------------------------------------------------------------

START_TEST(jdbc_url_forms)
{
    Endpoint e;
    CK_ASSERT_STRING_EQ(parse_jdbc_url("jdbc:mysql://db1/configdb", e), "");
    CK_ASSERT_STRING_EQ(e.host, "db1");
    ck_assert_uint_eq(e.port, 3306);
    CK_ASSERT_STRING_EQ(e.database, "configdb");

    e = {};
    CK_ASSERT_STRING_EQ(parse_jdbc_url("jdbc:mysql://10.0.0.5:3307/configdb?useUnicode=true&characterEncoding=UTF-8", e), "");
    CK_ASSERT_STRING_EQ(e.host, "10.0.0.5");
    ck_assert_uint_eq(e.port, 3307);
    CK_ASSERT_STRING_EQ(e.database, "configdb");

    e = {};
    CK_ASSERT_STRING_EQ(parse_jdbc_url("jdbc:mysql://[2001:db8::7]:3308/cfg", e), "");
    CK_ASSERT_STRING_EQ(e.host, "2001:db8::7");
    ck_assert_uint_eq(e.port, 3308);
    CK_ASSERT_STRING_EQ(e.where(), "[2001:db8::7]:3308");

    e = {};
    CK_ASSERT_STRING_EQ(parse_jdbc_url("jdbc:mysql://[::1]/cfg", e), "");
    CK_ASSERT_STRING_EQ(e.host, "::1");
    ck_assert_uint_eq(e.port, 3306);

    e = {};
    CK_ASSERT_STRING_EQ(parse_jdbc_url("jdbc:mariadb://db.example.org:3310/configdb", e), "");
    CK_ASSERT_STRING_EQ(e.host, "db.example.org");
    ck_assert_uint_eq(e.port, 3310);

    e = {};
    CK_ASSERT_STRING_EQ(parse_jdbc_url("JDBC:MySQL://h/configdb", e), "");
    CK_ASSERT_STRING_EQ(e.host, "h");

    // Connector/J's empty host is localhost.
    e = {};
    CK_ASSERT_STRING_EQ(parse_jdbc_url("jdbc:mysql:///configdb", e), "");
    CK_ASSERT_STRING_EQ(e.host, "localhost");

    // user and password in the parameters (%-decoded).
    e = {};
    CK_ASSERT_STRING_EQ(parse_jdbc_url("jdbc:mysql://h/c?user=ox&password=p%26w&x=1", e), "");
    CK_ASSERT_STRING_EQ(e.user, "ox");
    CK_ASSERT_STRING_EQ(e.password, "p&w");
}
END_TEST

START_TEST(jdbc_url_errors)
{
    Endpoint e;
    ck_assert(contains(parse_jdbc_url("jdbc:postgresql://h/c", e), "is not a jdbc:mysql:// URL"));
    ck_assert(contains(parse_jdbc_url("jdbc:postgresql://h/c", e), "'jdbc:postgresql:'"));
    ck_assert(contains(parse_jdbc_url("mysql://h/c", e), "is not a jdbc:mysql:// URL"));
    ck_assert(contains(parse_jdbc_url("jdbc:mysql:replication://a,b/c", e), "multi-host"));
    ck_assert(contains(parse_jdbc_url("jdbc:mysql://a,b/c", e), "several hosts"));
    ck_assert(contains(parse_jdbc_url("jdbc:mysql://h", e), "names no database"));
    ck_assert(contains(parse_jdbc_url("jdbc:mysql://h/", e), "names no database"));
    ck_assert(contains(parse_jdbc_url("jdbc:mysql://h:0/c", e), "port"));
    ck_assert(contains(parse_jdbc_url("jdbc:mysql://h:65536/c", e), "port"));
    ck_assert(contains(parse_jdbc_url("jdbc:mysql://h:x/c", e), "port"));
    ck_assert(contains(parse_jdbc_url("jdbc:mysql://2001:db8::1/c", e), "brackets"));
    ck_assert(contains(parse_jdbc_url("jdbc:mysql://[2001:db8::1/c", e), "'['"));
    ck_assert(contains(parse_jdbc_url("jdbc:mysql://[10.0.0.1]/c", e), "IPv6"));
    ck_assert(contains(parse_jdbc_url("jdbc:mysql://[nonsense]/c", e), "IPv6"));
    ck_assert(contains(parse_jdbc_url("jdbc:mysql://u:pw@h/c", e), "user@host"));
    ck_assert(contains(parse_jdbc_url("jdbc:mysql://h/c?password=%zz", e), "%-escape"));
    ck_assert(contains(parse_jdbc_url("jdbc:mysql://h/a.b", e), "invalid database name"));
    // No error text shows the URL's password.
    ck_assert(!contains(parse_jdbc_url("jdbc:mysql://h:99999/c?password=topsecret", e), "topsecret"));
}
END_TEST

START_TEST(host_database_argument)
{
    Endpoint e;
    CK_ASSERT_STRING_EQ(parse_host_database("db1:3307/configdb", e), "");
    CK_ASSERT_STRING_EQ(e.host, "db1");
    ck_assert_uint_eq(e.port, 3307);
    CK_ASSERT_STRING_EQ(e.database, "configdb");
    CK_ASSERT_STRING_EQ(parse_host_database("[fd00::2]/cfg", e), "");
    CK_ASSERT_STRING_EQ(e.host, "fd00::2");
    ck_assert_uint_eq(e.port, 3306);
    ck_assert(contains(parse_host_database("db1", e), "HOST[:PORT]/DATABASE"));
    ck_assert(contains(parse_host_database("db1/", e), "no database"));
    ck_assert(contains(parse_host_database("/cfg", e), "empty host"));
}
END_TEST

// ---- configdb.properties ------------------------------------------------------------

START_TEST(ox_file)
{
    Settings s;
    s.poll_seconds = 9;
    CK_ASSERT_STRING_EQ(settings_from_properties(kOxFile, s), "");
    CK_ASSERT_STRING_EQ(s.read.host, "10.20.30.40");
    ck_assert_uint_eq(s.read.port, 3306);
    CK_ASSERT_STRING_EQ(s.read.database, "configdb");
    CK_ASSERT_STRING_EQ(s.read.user, "openexchange");
    CK_ASSERT_STRING_EQ(s.read.password, "s3cret");
    CK_ASSERT_STRING_EQ(s.write.host, "10.20.30.41");
    ck_assert_uint_eq(s.write.port, 3307);
    CK_ASSERT_STRING_EQ(s.write.user, "oxwriter");
    CK_ASSERT_STRING_EQ(s.write.password, "w\xC3\xA9rite");
    ck_assert_uint_eq(s.poll_seconds, 9);  // left alone
}
END_TEST

START_TEST(last_key_wins_and_url_parameters_win)
{
    Settings s;
    std::string text =
        "readUrl=jdbc:mysql://old/configdb\n"
        "readUrl = jdbc:mysql://new/configdb?user=fromurl\n"
        "readProperty.1=user=fromprop\n"
        "readProperty.7 = password = spaced\n"
        "writeUrl: jdbc:mariadb://w/configdb\n"
        "writeProperty.1 user=u2\n";
    CK_ASSERT_STRING_EQ(settings_from_properties(text, s), "");
    CK_ASSERT_STRING_EQ(s.read.host, "new");
    CK_ASSERT_STRING_EQ(s.read.user, "fromurl");
    CK_ASSERT_STRING_EQ(s.read.password, " spaced");  // "password = spaced": the name is "password "
    CK_ASSERT_STRING_EQ(s.write.user, "u2");
    CK_ASSERT_STRING_EQ(s.write.password, "");
}
END_TEST

START_TEST(properties_errors_name_the_line)
{
    Settings s;
    std::string err = settings_from_properties("writeUrl=jdbc:mysql://w/c\nwriteProperty.1=user=u\n", s);
    ck_assert_msg(contains(err, "readUrl is missing"), "%s", err.c_str());
    err = settings_from_properties("readUrl=jdbc:mysql://r/c\nreadProperty.1=user=u\n", s);
    ck_assert_msg(contains(err, "writeUrl is missing"), "%s", err.c_str());

    std::string text =
        "# a comment\n"
        "readProperty.1=user=u\n"
        "readProperty.2=password=hunter2\n"
        "\n"
        "readUrl=jdbc:oracle:thin:@h:1521:x\n"
        "writeUrl=jdbc:mysql://w/c\n"
        "writeProperty.1=user=u\n";
    err = settings_from_properties(text, s);
    ck_assert_msg(contains(err, "line 5: readUrl is not a jdbc:mysql:// URL"), "%s", err.c_str());

    err = settings_from_properties("readUrl=jdbc:mysql://r/c\nwriteUrl=jdbc:mysql://w:99999/c\nreadProperty.1=user=u\n"
                                   "writeProperty.1=user=u\n",
                                   s);
    ck_assert_msg(contains(err, "line 2: writeUrl ") && contains(err, "port"), "%s", err.c_str());

    err = settings_from_properties("readUrl=jdbc:mysql://r/c\nwriteUrl=jdbc:mysql://w/c\nwriteProperty.1=user=u\n", s);
    ck_assert_msg(contains(err, "line 1: readUrl has no user") && contains(err, "readProperty.N=user="), "%s",
                  err.c_str());

    err = settings_from_properties("readUrl=jdbc:mysql://r/c\nreadProperty.1=user=u\nreadProperty.2=oops\n"
                                   "writeUrl=jdbc:mysql://w/c\nwriteProperty.1=user=u\n",
                                   s);
    ck_assert_msg(contains(err, "line 3: readProperty.2 is not NAME=VALUE"), "%s", err.c_str());

    // A password never appears in an error.
    err = settings_from_properties("readUrl=jdbc:mysql://r:0/c?password=hunter2\nreadProperty.2=password=hunter2\n", s);
    ck_assert_msg(!err.empty() && !contains(err, "hunter2"), "%s", err.c_str());
}
END_TEST

START_TEST(properties_file_errors_start_with_the_path)
{
    Settings s;
    std::string err = read_properties_file("/nonexistent/configdb.properties", s);
    ck_assert_msg(contains(err, "cannot open /nonexistent/configdb.properties"), "%s", err.c_str());
    err = read_properties_file("/", s);
    ck_assert_msg(contains(err, "/: not a regular file") || contains(err, "cannot"), "%s", err.c_str());
}
END_TEST

// ---- directive-style arguments ---------------------------------------------------------

START_TEST(explicit_arguments)
{
    Settings s;
    std::string path = "x";
    CK_ASSERT_STRING_EQ(parse_arguments({"read=r1/configdb", "write=[fd00::1]:3307/configdb", "user=ox",
                                         "password=p=w", "poll=7", "create=on"},
                                        s, path),
                        "");
    CK_ASSERT_STRING_EQ(path, "");
    CK_ASSERT_STRING_EQ(s.read.host, "r1");
    CK_ASSERT_STRING_EQ(s.write.host, "fd00::1");
    ck_assert_uint_eq(s.write.port, 3307);
    CK_ASSERT_STRING_EQ(s.read.user, "ox");
    CK_ASSERT_STRING_EQ(s.write.user, "ox");
    CK_ASSERT_STRING_EQ(s.write.password, "p=w");
    ck_assert_uint_eq(s.poll_seconds, 7);
    ck_assert(s.create);

    // read= defaults to write=.
    Settings t;
    CK_ASSERT_STRING_EQ(parse_arguments({"write=w:3310/cfg", "user=ox"}, t, path), "");
    CK_ASSERT_STRING_EQ(t.read.host, "w");
    ck_assert_uint_eq(t.read.port, 3310);
    CK_ASSERT_STRING_EQ(t.read.database, "cfg");
    ck_assert_uint_eq(t.poll_seconds, kDefaultPollSeconds);
    ck_assert(!t.create);
}
END_TEST

START_TEST(properties_path_argument)
{
    Settings s;
    std::string path;
    CK_ASSERT_STRING_EQ(parse_arguments({"/opt/open-xchange/etc/configdb.properties", "poll=3", "create=OFF"}, s, path), "");
    CK_ASSERT_STRING_EQ(path, "/opt/open-xchange/etc/configdb.properties");
    ck_assert_uint_eq(s.poll_seconds, 3);
    // The file then fills the endpoints and keeps poll.
    CK_ASSERT_STRING_EQ(settings_from_properties(kOxFile, s), "");
    ck_assert_uint_eq(s.poll_seconds, 3);
    CK_ASSERT_STRING_EQ(s.read.user, "openexchange");
}
END_TEST

START_TEST(argument_errors)
{
    Settings s;
    std::string path;
    ck_assert(contains(parse_arguments({"a.properties", "user=ox"}, s, path), "cannot be combined"));
    ck_assert(contains(parse_arguments({"a.properties", "b.properties"}, s, path), "two properties files"));
    ck_assert(contains(parse_arguments({"user=ox"}, s, path), "write=HOST[:PORT]/DATABASE is missing"));
    ck_assert(contains(parse_arguments({"write=w/c"}, s, path), "user= is missing"));
    ck_assert(contains(parse_arguments({"write=w/c", "user=ox", "poll=0"}, s, path), "poll=0: expected whole seconds"));
    ck_assert(contains(parse_arguments({"write=w/c", "user=ox", "poll=3601"}, s, path), "poll="));
    ck_assert(contains(parse_arguments({"write=w/c", "user=ox", "create=maybe"}, s, path), "on or off"));
    ck_assert(contains(parse_arguments({"write=w/c", "user=ox", "colour=red"}, s, path), "unknown argument 'colour'="));
    ck_assert(contains(parse_arguments({"write=w/c", "write=x/c", "user=ox"}, s, path), "write= given twice"));
    ck_assert(contains(parse_arguments({"write=w:99999/c", "user=ox"}, s, path), "write=w:99999/c: port"));
    std::string err = parse_arguments({"write=w/c", "user=ox", "password=hunter2", "password=hunter3"}, s, path);
    ck_assert_msg(contains(err, "given twice") && !contains(err, "hunter"), "%s", err.c_str());
}
END_TEST

// ---- the schema script and changes -----------------------------------------------------------

START_TEST(schema_script_splits_into_our_create_statements)
{
    std::vector<std::string> stmts = split_sql_script(schema_sql());
    ck_assert_uint_eq(stmts.size(), 3);
    ck_assert(contains(stmts[0], "CREATE TABLE IF NOT EXISTS oxbalance_member_state ("));
    ck_assert(contains(stmts[1], "CREATE TABLE IF NOT EXISTS oxbalance_member_state_history ("));
    ck_assert(contains(stmts[2], "CREATE TABLE IF NOT EXISTS oxbalance_frontend_member ("));
    for (const std::string& s : stmts) {
        ck_assert(!contains(s, ";"));
        ck_assert(!contains(s, "--"));
        ck_assert(contains(s, "ENGINE=InnoDB"));
        ck_assert(contains(s, "utf8mb4"));
    }
    auto t = split_sql_script("-- c\nA;\n  -- d\nB\nC;\r\nD");
    ck_assert_uint_eq(t.size(), 3);
    CK_ASSERT_STRING_EQ(t[0], "A");
    CK_ASSERT_STRING_EQ(t[1], "B\nC");
    CK_ASSERT_STRING_EQ(t[2], "D");
}
END_TEST

START_TEST(change_validation)
{
    Change c;
    c.balancer = "oxcluster";
    c.route = "OX-1";
    c.admin = ox::AdminState::draining;
    CK_ASSERT_STRING_EQ(validate(c), "");
    Change d = c;
    d.admin.reset();
    ck_assert(contains(validate(d), "changes nothing"));
    d.loadfactor = 101;
    ck_assert(contains(validate(d), "not from 1 to 100"));
    d.loadfactor = 0;
    CK_ASSERT_STRING_EQ(validate(d), "");
    d = c;
    d.route = "OX 1";
    ck_assert(contains(validate(d), "white space"));
    d.route = "";
    ck_assert(contains(validate(d), "the route is empty"));
    d = c;
    d.balancer = std::string(64, 'b');
    ck_assert(contains(validate(d), "longer than 63"));
    d = c;
    d.client = "a\nb";
    ck_assert(contains(validate(d), "control character"));
    // Names no configuration can have: a typo (and a trailing space would
    // match the name without it in the tables' padding collation).
    for (const char* b : {"oxcluster ", " oxcluster", "ox'c", "ox/c", "\xC3\xA9t\xC3\xA9"}) {
        d = c;
        d.balancer = b;
        ck_assert_msg(contains(validate(d), "none a front end can have"), "balancer '%s' accepted", b);
        // ... which forget still takes (rows an older tool wrote).
        CK_ASSERT_STRING_EQ(validate_names(d), "");
    }
    d = c;
    d.route = "OX'1";
    ck_assert(contains(validate(d), "the route 'OX'1' is none a front end can have"));
    d.balancer = "ox.cluster_2-a";
    d.route = "OX.1_a-B";
    CK_ASSERT_STRING_EQ(validate(d), "");
    // Not UTF-8, or a C1 control (U+009B, CSI): refused by both.
    for (const char* r : {"OX\xFF", "OX\xC2\x9B" "1", "OX\xC3"}) {
        d = c;
        d.route = r;
        ck_assert(!validate_names(d).empty());
        ck_assert(!validate(d).empty());
    }
}
END_TEST

int main()
{
    Suite* s = suite_create("configdb_properties");
    TCase* tc = tcase_create("syntax");
    tcase_add_test(tc, separators_and_comments);
    tcase_add_test(tc, separator_rules);
    tcase_add_test(tc, escapes);
    tcase_add_test(tc, continuation_lines);
    tcase_add_test(tc, line_ends);
    tcase_add_test(tc, malformed_escapes_name_the_line);
    suite_add_tcase(s, tc);
    tc = tcase_create("urls");
    tcase_add_test(tc, jdbc_url_forms);
    tcase_add_test(tc, jdbc_url_errors);
    tcase_add_test(tc, host_database_argument);
    suite_add_tcase(s, tc);
    tc = tcase_create("settings");
    tcase_add_test(tc, ox_file);
    tcase_add_test(tc, last_key_wins_and_url_parameters_win);
    tcase_add_test(tc, properties_errors_name_the_line);
    tcase_add_test(tc, properties_file_errors_start_with_the_path);
    tcase_add_test(tc, explicit_arguments);
    tcase_add_test(tc, properties_path_argument);
    tcase_add_test(tc, argument_errors);
    suite_add_tcase(s, tc);
    tc = tcase_create("schema_and_changes");
    tcase_add_test(tc, schema_script_splits_into_our_create_statements);
    tcase_add_test(tc, change_validation);
    suite_add_tcase(s, tc);
    return unit::run_suite(s);
}
