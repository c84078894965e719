// The member-state store: where every front end reads the admin states and
// load factors the operators set, and where the status page and
// oxbalancectl write them. An interface, so that the poller is tested with
// a fake and the module never sees MySQL.
//
// A row exists only for a member someone changed. Its admin state may be
// unset ("as configured": only the load factor was changed) and its load
// factor 0 ("as configured"). Every change also appends a history row:
// who (front end, client address or user, tool) and when.
//
// Implementations may block (network) and are called from one thread at a
// time: the poller's, or the tool's. They return false with a message in
// `err` (never a password); they may throw std::bad_alloc, nothing else.
#ifndef LIBOX_CONFIGDB_STORE_H
#define LIBOX_CONFIGDB_STORE_H

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "balance/member_state.h"

namespace ox::configdb {

// Name limits, those of the status page's form and the shared-memory slot.
constexpr std::size_t kMaxBalancerChars = 63;
constexpr std::size_t kMaxRouteChars = 191;
// Who-changed-it fields (front end host name, client, tool).
constexpr std::size_t kMaxWhoChars = 255;
constexpr unsigned kMaxLoadfactor = 100;

struct MemberStateRow {
    std::string balancer;
    std::string route;
    std::optional<AdminState> admin;  // unset: as configured
    unsigned loadfactor = 0;          // 0: as configured; else 1..100
    std::int64_t changed_at = 0;      // seconds since the epoch (UTC)
    std::string changed_by_frontend;  // host name of the front end or tool's host
    std::string changed_by_client;    // the status page's client address, or user@host
    std::string changed_by_tool;      // "status-page", "oxbalancectl", ...
    std::uint64_t version = 0;        // 1 on the first change, +1 on each
};

// A member by its names, as the configuration and the tables key it.
struct MemberKey {
    std::string balancer;
    std::string route;
    friend bool operator<(const MemberKey& a, const MemberKey& b)
    {
        return a.balancer != b.balancer ? a.balancer < b.balancer : a.route < b.route;
    }
};

// A member one front end serves, as that front end announced it
// (oxbalance_frontend_member).
struct ServedMember {
    std::string frontend;      // "host:ServerRoot" of the httpd that serves it
    std::string balancer;
    std::string route;
    std::int64_t seen_at = 0;  // its last announcement, seconds since the epoch (UTC)
};
// Who a front end is in oxbalance_frontend_member.
constexpr std::size_t kMaxFrontendChars = 255;

// One change. Unset fields stay as they are.
struct Change {
    std::string balancer;
    std::string route;
    std::optional<AdminState> admin;
    std::optional<unsigned> loadfactor;  // 0: back to the configured value
    std::string frontend;
    std::string client;
    std::string tool;
};

// "" or what is wrong with a change's names and values (empty or too long
// names, control characters, not UTF-8, a balancer or route with
// characters no configuration allows, load factor above 100, nothing to
// change).
std::string validate(const Change& c);
// What any name must be (no control characters, UTF-8, a route without
// ';', ',' and white space), without the configuration's character set:
// for removing a row some older tool wrote with other characters.
std::string validate_names(const Change& c);

struct HistoryRow {
    std::uint64_t id = 0;
    std::string balancer;
    std::string route;
    std::optional<AdminState> old_admin, new_admin;  // unset: as configured
    unsigned old_loadfactor = 0, new_loadfactor = 0;  // 0: as configured
    std::int64_t changed_at = 0;
    std::string frontend, client, tool;
};

struct HistoryQuery {
    std::string balancer;  // "" = all
    std::string route;     // "" = all (needs a balancer)
    unsigned limit = 50;   // newest first
};

class Store {
public:
    virtual ~Store() = default;
    // Every row (reads go to the read host, else the write host).
    virtual bool load(std::vector<MemberStateRow>& out, std::string& err) = 0;
    // One change and its history row, atomically (the write host).
    virtual bool apply(const Change& c, std::string& err) = 0;
    virtual bool history(const HistoryQuery& q, std::vector<HistoryRow>& out, std::string& err) = 0;
    // Creates our tables where missing (CREATE TABLE IF NOT EXISTS).
    virtual bool ensure_schema(std::string& err) = 0;
    // Replaces the members `frontend` announced before with `members`, all
    // seen now (the write host).
    virtual bool announce(const std::string& frontend, const std::vector<MemberKey>& members, std::string& err) = 0;
    // Every front end's announced members (reads as load()).
    virtual bool served(std::vector<ServedMember>& out, std::string& err) = 0;
};

}  // namespace ox::configdb

#endif
