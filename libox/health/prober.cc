#include "health/prober.h"

namespace ox::health {

Prober::Prober(std::vector<Node> nodes, Report report, GiveUp give_up)
    : nodes_(std::move(nodes)), report_(std::move(report)), give_up_(std::move(give_up))
{
}

Prober::~Prober() { stop(); }

void Prober::start()
{
    threads_.reserve(nodes_.size());
    for (std::size_t i = 0; i < nodes_.size(); ++i) threads_.emplace_back([this, i] { run(i); });
}

void Prober::stop() noexcept
{
    {
        std::lock_guard<std::mutex> lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    for (std::thread& t : threads_) {
        if (t.joinable()) t.join();
    }
    threads_.clear();
}

bool Prober::sleep_until(TimePoint t)
{
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_until(lock, t, [this] { return stopping_; });
    return !stopping_;
}

void Prober::run(std::size_t i) noexcept
{
    const Node& n = nodes_[i];
    try {
        TimePoint next = Clock::now() + n.first_delay;
        while (sleep_until(next)) {
            next += n.interval;
            ProbeResult r = n.probe();
            report_(i, r);
            // A probe that took longer than the interval (a timeout as long
            // as the interval) starts the next one right away, not a burst.
            TimePoint now = Clock::now();
            if (next < now) next = now;
        }
    } catch (...) {
        // Probing, reporting or waiting failed (out of memory): this node
        // is no longer probed, and its owner must know, or a node found
        // down would stay down.
        try {
            if (give_up_) give_up_(i);
        } catch (...) {
        }
    }
}

}  // namespace ox::health
