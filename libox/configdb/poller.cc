#include "configdb/poller.h"

#include <algorithm>
#include <utility>

namespace ox::configdb {

namespace {

constexpr Millis kFirstRetry{1000};
constexpr Millis kMaxRetry{60000};
// A failed announcement is tried again this much later.
constexpr Millis kAnnounceRetry{60000};
// Made at load time: making it when memory has run out could throw again.
const std::string kOutOfMemory = "configdb poll failed: out of memory";

}  // namespace

Poller::Poller(Store& store, Publisher& publisher, const TimeSource& clock, PollerOptions options)
    : store_(store),
      publisher_(publisher),
      clock_(clock),
      poll_(std::max<Millis>(options.poll, Millis(1000))),
      known_(options.known.begin(), options.known.end()),
      create_(options.create),
      frontend_(std::move(options.frontend)),
      known_list_(known_.begin(), known_.end()),
      announce_every_(std::max<Millis>(options.announce_every, kAnnounceRetry))
{
}

Millis Poller::backoff(unsigned failures) const noexcept
{
    Millis cap = std::min<Millis>(poll_ * 4, kMaxRetry);
    Millis d = kFirstRetry;
    for (unsigned i = 1; i < failures && d < cap; ++i) d *= 2;
    return std::min(d, cap);
}

bool Poller::poll(std::vector<MemberStateRow>& rows, std::string& err)
{
    std::string create_err;
    if (create_ && !schema_done_) {
        schema_done_ = store_.ensure_schema(create_err);
    }
    if (store_.load(rows, err)) return true;
    if (!create_err.empty()) err = "cannot create the tables (create=on): " + create_err + "; " + err;
    return false;
}

Millis Poller::failed(const std::string& msg) noexcept
{
    ++failures_;
    if (!in_outage_) {
        in_outage_ = true;
        publisher_.outage(msg);
    }
    return backoff(failures_);
}

Millis Poller::poll_once() noexcept
{
    try {
        std::vector<MemberStateRow> rows;
        std::string err;
        if (!poll(rows, err)) return failed(err);
        TimePoint fetched = clock_.now();
        std::vector<MemberStateRow> mine;
        std::vector<MemberKey> unknown;
        mine.reserve(rows.size());
        for (MemberStateRow& r : rows) {
            MemberKey key{r.balancer, r.route};
            if (known_.count(key)) {
                mine.push_back(std::move(r));
                continue;
            }
            if (reported_.insert(key).second) publisher_.unknown_member(key.balancer, key.route);
            unknown.push_back(std::move(key));
        }
        std::sort(unknown.begin(), unknown.end());
        failures_ = 0;
        last_success_ = fetched;
        publisher_.publish(mine, fetched);
        publisher_.unknown_rows(unknown);
        if (in_outage_) {
            in_outage_ = false;
            publisher_.recovered();
        }
        try {
            announce();
        } catch (...) {
            // Out of memory: tried again at the next poll.
        }
        return poll_;
    } catch (...) {
        // Only std::bad_alloc can get here: a failed poll like any other.
        return failed(kOutOfMemory);
    }
}

void Poller::announce()
{
    if (frontend_.empty()) return;
    TimePoint now = clock_.now();
    if (announced_ && now < next_announce_) return;
    announced_ = true;
    std::string err;
    if (store_.announce(frontend_, known_list_, err)) {
        next_announce_ = now + announce_every_;
        announce_failing_ = false;
        publisher_.announced(known_list_.size());
        return;
    }
    next_announce_ = now + kAnnounceRetry;
    if (!announce_failing_) {
        announce_failing_ = true;
        publisher_.announce_failed(err);
    }
}

void Poller::run() noexcept
{
    for (;;) {
        {
            std::lock_guard<std::mutex> lock(mu_);
            if (stop_) return;
            wake_ = false;
        }
        Millis delay = poll_once();
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait_for(lock, delay, [this] { return stop_ || wake_; });
        if (stop_) return;
    }
}

void Poller::stop() noexcept
{
    {
        std::lock_guard<std::mutex> lock(mu_);
        stop_ = true;
    }
    cv_.notify_all();
}

void Poller::poll_now() noexcept
{
    {
        std::lock_guard<std::mutex> lock(mu_);
        wake_ = true;
    }
    cv_.notify_all();
}

}  // namespace ox::configdb
