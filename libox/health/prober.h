// Runs the probes of every node, each node on a thread of its own: a node
// whose probe hangs until its timeout never delays another node's. Every
// `interval` (from the start of one probe to the start of the next) the
// node's probe runs and its result is reported. Stopping wakes every thread
// that waits; one in the middle of a probe ends it first (at most its
// timeout).
#ifndef LIBOX_HEALTH_PROBER_H
#define LIBOX_HEALTH_PROBER_H

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "health/probe.h"

namespace ox::health {

class Prober {
public:
    struct Node {
        std::function<ProbeResult()> probe;
        Millis interval{5000};
        Millis first_delay{0};  // until its first probe (to keep a schedule across restarts)
    };
    // Called on the node's thread after each probe.
    using Report = std::function<void(std::size_t node, const ProbeResult& result)>;
    // Called on the node's thread when it ends for another reason than
    // stop(): a probe or the report threw (out of memory). Nobody probes the
    // node after that; the caller must not leave it down for good. Whatever
    // it throws is dropped.
    using GiveUp = std::function<void(std::size_t node)>;

    Prober(std::vector<Node> nodes, Report report, GiveUp give_up = {});
    ~Prober();  // stops and joins
    Prober(const Prober&) = delete;
    Prober& operator=(const Prober&) = delete;

    // Starts one thread per node. Throws std::system_error when a thread
    // cannot be started (the caller logs it; the threads started are
    // stopped again by stop()).
    void start();
    // Wakes and joins every thread. Idempotent.
    void stop() noexcept;

private:
    void run(std::size_t i) noexcept;
    // Waits until `t` or stop(); false when stopping.
    bool sleep_until(TimePoint t);

    std::vector<Node> nodes_;
    Report report_;
    GiveUp give_up_;
    std::mutex mu_;
    std::condition_variable cv_;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace ox::health

#endif
