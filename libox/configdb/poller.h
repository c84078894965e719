// The configdb poller: reads the member states every `poll` seconds and
// hands each snapshot to a Publisher (the module writes it into shared
// memory, where every child sees it). One poller per httpd server, in a
// thread of its own; requests never wait on it.
//
// When the database fails, the last snapshot stays in force (nothing is
// published), the outage is reported once, and polls are retried with a
// backoff of 1 s doubling up to min(poll x 4, 60 s); the first success
// publishes and reports the recovery once. Rows for members the
// configuration does not have are left out of the snapshot and reported
// once each, never fatal. After its first good poll, and hourly, the
// poller announces the configuration's members as this front end's
// (Store::announce), for oxbalancectl to check routes against.
//
// Threads: run() in the poller's own thread; stop() and poll_now() from
// any thread. poll_once() and the accessors belong to the thread that
// polls (tests call poll_once() directly, with a fake Store and a manual
// clock, and never sleep).
#ifndef LIBOX_CONFIGDB_POLLER_H
#define LIBOX_CONFIGDB_POLLER_H

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "configdb/store.h"
#include "core/clock.h"

namespace ox::configdb {

// Called from the poller's thread. Implementations must not block for
// long (they run between polls) and must not throw.
class Publisher {
public:
    virtual ~Publisher() = default;
    // A fresh snapshot: the rows of configured members, read at `fetched`
    // (the data's age is now - fetched).
    virtual void publish(const std::vector<MemberStateRow>& rows, TimePoint fetched) noexcept = 0;
    // The database failed; once per outage, with the first failure's text.
    virtual void outage(const std::string& msg) noexcept = 0;
    // The first success after an outage (after its publish()).
    virtual void recovered() noexcept = 0;
    // A row names a balancer or route the configuration lacks; once each.
    virtual void unknown_member(const std::string& balancer, const std::string& route) noexcept = 0;
    // After each good read (after publish()): every row it had for a
    // member the configuration lacks, sorted; empty when none.
    virtual void unknown_rows(const std::vector<MemberKey>& keys) noexcept = 0;
    // Announcing this front end's members failed; once until one succeeds
    // (retried every minute meanwhile; the member states are unaffected).
    virtual void announce_failed(const std::string& msg) noexcept = 0;
    // Announcing succeeded: `members` announced (each time, also the first
    // after failures).
    virtual void announced(std::size_t members) noexcept = 0;
};

struct PollerOptions {
    std::chrono::seconds poll{5};
    std::vector<MemberKey> known;  // the configuration's members
    bool create = false;           // ensure_schema() until it once succeeds
    // Who this front end is: after its first good poll, and then every
    // `announce_every`, the poller announces `known` as the members this
    // front end serves (Store::announce). "" announces nothing.
    std::string frontend;
    Millis announce_every{std::chrono::hours(1)};
};

class Poller {
public:
    Poller(Store& store, Publisher& publisher, const TimeSource& clock, PollerOptions options);
    Poller(const Poller&) = delete;
    Poller& operator=(const Poller&) = delete;

    // One poll now; returns how long to wait before the next one.
    Millis poll_once() noexcept;

    // Polls until stop(): poll_once, then wait its delay (or until
    // poll_now or stop). Returns promptly after stop(), except that a poll
    // in progress finishes first (bounded by the Store's timeouts).
    void run() noexcept;
    void stop() noexcept;
    // Ends the current wait: the next poll starts at once.
    void poll_now() noexcept;

    // The delay after `failures` failures in a row (1 = the first).
    Millis backoff(unsigned failures) const noexcept;

    bool in_outage() const noexcept { return in_outage_; }
    unsigned failures() const noexcept { return failures_; }
    // When the last snapshot was read (TimePoint{} before the first).
    TimePoint last_success() const noexcept { return last_success_; }

private:
    bool poll(std::vector<MemberStateRow>& rows, std::string& err);
    // Counts a failed poll, reports the outage if it is new; the delay.
    Millis failed(const std::string& msg) noexcept;
    // Announces the known members when it is time to (see PollerOptions).
    void announce();

    Store& store_;
    Publisher& publisher_;
    const TimeSource& clock_;
    Millis poll_;
    std::set<MemberKey> known_;
    std::set<MemberKey> reported_;
    bool create_;
    std::string frontend_;
    std::vector<MemberKey> known_list_;
    Millis announce_every_;
    bool announced_ = false;  // once tried: next_announce_ holds
    bool announce_failing_ = false;
    TimePoint next_announce_{};
    bool schema_done_ = false;
    bool in_outage_ = false;
    unsigned failures_ = 0;
    TimePoint last_success_{};

    std::mutex mu_;
    std::condition_variable cv_;
    bool stop_ = false;
    bool wake_ = false;
};

}  // namespace ox::configdb

#endif
