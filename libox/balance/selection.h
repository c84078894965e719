// The three ways a member is picked from a set of candidates. The state
// they keep lives in the members' shared slots, so every httpd child (and
// every thread) draws from one sequence.
#ifndef LIBOX_BALANCE_SELECTION_H
#define LIBOX_BALANCE_SELECTION_H

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "state/shared_state.h"

namespace ox {

struct Candidate {
    std::size_t member;         // index in the balancer
    int weight;                 // loadfactor, >= 1
    state::MemberSlot* slot;    // its shared state
    std::string_view key;       // stable identity for hashing: the route, else the URL
};

// Smooth weighted round robin (each candidate's current weight grows by its
// weight, the largest is chosen and pays back the total): over any window
// every member's share is within one request of its weight. The updates are
// atomic adds, so concurrent choices in several processes keep the totals
// exact. Returns an index into `c` (n >= 1).
std::size_t choose_weighted(const Candidate* c, std::size_t n) noexcept;

// Fewest requests in flight; ties go by smooth weighted round robin.
std::size_t choose_least_busy(const Candidate* c, std::size_t n) noexcept;

// Weighted rendezvous (highest random weight) hashing: the candidate with
// the highest score for this session. Every process and every front end
// computes the same answer from the same candidates, and removing a
// candidate moves only the sessions that chose it.
std::size_t choose_successor(std::string_view session_id, const Candidate* c, std::size_t n) noexcept;

// The 64-bit score hash of (member key, session id): plain integer
// arithmetic, the same on every platform and in every build.
std::uint64_t rendezvous_hash(std::string_view member_key, std::string_view session_id) noexcept;

}  // namespace ox

#endif
