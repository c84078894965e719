// Where the configdb is and how to log in: read from OX's own
// configdb.properties, or from explicit OXConfigDB / oxbalancectl arguments.
//
// configdb.properties is a Java properties file (java.util.Properties.load):
// '#' and '!' comment lines, "key=value", "key: value" and "key value",
// a backslash at the end of a line continues it, \t \n \r \f \uXXXX and
// "\x" for any other x. OX writes, for example:
//
//   readUrl=jdbc:mysql://10.20.30.40/configdb
//   readProperty.1=user=openexchange
//   readProperty.2=password=secret
//   writeUrl=jdbc:mysql://[2001:db8::40]:3306/configdb?useSSL=false
//   writeProperty.1=user=openexchange
//   writeProperty.2=password=secret
//
// Only those keys are used; the others (driver class, pool sizes, JDBC
// parameters) are OX's business and ignored. Every error names the line.
// Passwords never appear in an error text.
//
// Everything here allocates and may throw std::bad_alloc; nothing throws
// anything else.
#ifndef LIBOX_CONFIGDB_PROPERTIES_H
#define LIBOX_CONFIGDB_PROPERTIES_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ox::configdb {

constexpr std::uint16_t kDefaultPort = 3306;
constexpr unsigned kDefaultPollSeconds = 5;
constexpr unsigned kMaxPollSeconds = 3600;
constexpr std::size_t kMaxPropertiesBytes = 1 << 20;

// One MySQL server to log in to.
struct Endpoint {
    std::string host;  // a name, an IPv4 address, or an IPv6 address without brackets
    std::uint16_t port = kDefaultPort;
    std::string database;
    std::string user;
    std::string password;

    // "host:port" or "[v6]:port", for messages (never the password).
    std::string where() const;
};

struct Settings {
    Endpoint read;   // SELECTs; falls back to `write` when unreachable
    Endpoint write;  // changes, and the schema
    unsigned poll_seconds = kDefaultPollSeconds;
    bool create = false;  // create our tables when they are missing
};

// ---- Java properties ------------------------------------------------------

struct Property {
    std::string key;
    std::string value;  // unescaped; \uXXXX as UTF-8
    std::size_t line = 0;  // where its (first) line is, from 1
};

// Parses the text into `out` (in file order; a key given twice appears
// twice, and the last one counts, as in Java). Returns "" or
// "line N: what is wrong" (a malformed \uXXXX, a NUL byte).
std::string parse_properties(std::string_view text, std::vector<Property>& out);

// ---- URLs and endpoints ------------------------------------------------------

// "jdbc:mysql://host[:port]/database[?params]" (or jdbc:mariadb://): fills
// host, port (3306 when absent) and database, and user and password when
// the parameters carry them (user=...&password=..., %-decoded). Returns ""
// or what is wrong (without the line; the caller adds it).
std::string parse_jdbc_url(std::string_view url, Endpoint& out);

// "host[:port]/database" (host may be "[v6]"): what read= and write= take.
std::string parse_host_database(std::string_view text, Endpoint& out);

// ---- the two sources -----------------------------------------------------------

// The read and write endpoints from configdb.properties text (readUrl,
// writeUrl, readProperty.N=user=..., readProperty.N=password=..., and the
// writeProperty.N equivalents). poll_seconds and create are left as they
// are. Returns "" or "line N: ..." (or "no readUrl" for a missing key).
std::string settings_from_properties(std::string_view text, Settings& out);

// Reads and parses the file; errors start with the path.
std::string read_properties_file(const std::string& path, Settings& out);

// The OXConfigDB directive's arguments, and oxbalancectl's, in one form:
//   [PATH] [read=HOST[:PORT]/DB] [write=HOST[:PORT]/DB] [user=U]
//   [password=P] [poll=SECONDS] [create=on|off]
// PATH (the one argument without '=') names a configdb.properties file;
// with it, read=, write=, user= and password= are refused (one source of
// truth). Without it, write= and user= are required and read= defaults to
// write=. `properties_path` gets PATH ("" when absent); the caller reads
// the file with read_properties_file, which keeps poll and create. Returns
// "" or what is wrong, naming the argument.
std::string parse_arguments(const std::vector<std::string>& args, Settings& out, std::string& properties_path);

}  // namespace ox::configdb

#endif
