#include "balance/selection.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/hash.h"

namespace ox {

namespace {

// A total runs one short when a process was killed between its two counting
// steps (state/in_flight.h): below zero reads as idle, or that member would
// take every new session.
std::int64_t in_flight(const Candidate& c) noexcept
{
    return std::max<std::int64_t>(0, c.slot->busy.load(std::memory_order_relaxed));
}

}  // namespace

std::uint64_t rendezvous_hash(std::string_view member_key, std::string_view session_id) noexcept
{
    return mix64(fnv1a(session_id) ^ mix64(fnv1a(member_key)));
}

std::size_t choose_weighted(const Candidate* c, std::size_t n) noexcept
{
    std::int64_t total = 0;
    std::size_t best = 0;
    std::int64_t best_current = std::numeric_limits<std::int64_t>::min();
    for (std::size_t i = 0; i < n; ++i) {
        std::int64_t w = c[i].weight;
        total += w;
        std::int64_t current = c[i].slot->wrr_current.fetch_add(w, std::memory_order_relaxed) + w;
        if (current > best_current) {
            best_current = current;
            best = i;
        }
    }
    c[best].slot->wrr_current.fetch_sub(total, std::memory_order_relaxed);
    return best;
}

std::size_t choose_least_busy(const Candidate* c, std::size_t n) noexcept
{
    std::int64_t least = std::numeric_limits<std::int64_t>::max();
    for (std::size_t i = 0; i < n; ++i) least = std::min(least, in_flight(c[i]));
    // The tied candidates, in order, share the round robin.
    Candidate tied[64];
    std::size_t index[64];
    std::size_t m = 0;
    for (std::size_t i = 0; i < n && m < 64; ++i) {
        if (in_flight(c[i]) == least) {
            tied[m] = c[i];
            index[m++] = i;
        }
    }
    if (m == 0) return choose_weighted(c, n);  // busy changed under us
    return index[choose_weighted(tied, m)];
}

std::size_t choose_successor(std::string_view session_id, const Candidate* c, std::size_t n) noexcept
{
    bool equal_weights = true;
    for (std::size_t i = 1; i < n; ++i) equal_weights = equal_weights && c[i].weight == c[0].weight;
    std::size_t best = 0;
    if (equal_weights) {
        // Integer comparison: exact, and the same everywhere.
        std::uint64_t best_h = 0;
        for (std::size_t i = 0; i < n; ++i) {
            std::uint64_t h = rendezvous_hash(c[i].key, session_id);
            if (i == 0 || h > best_h) {
                best_h = h;
                best = i;
            }
        }
        return best;
    }
    // Weighted: score = weight / -ln(u), u uniform in (0,1) from the hash.
    double best_score = -1;
    for (std::size_t i = 0; i < n; ++i) {
        std::uint64_t h = rendezvous_hash(c[i].key, session_id);
        double u = (static_cast<double>(h >> 11) + 0.5) * (1.0 / 9007199254740992.0);
        double score = c[i].weight / -std::log(u);
        if (score > best_score) {
            best_score = score;
            best = i;
        }
    }
    return best;
}

}  // namespace ox
