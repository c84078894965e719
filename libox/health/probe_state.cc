#include "health/probe_state.h"

namespace ox::health {

namespace {
// Counting stops here: only "at least `fails`" matters, and a node probed
// for years must not wrap around.
constexpr unsigned kCap = 1000000;
}  // namespace

bool record_probe(ProbeCounters& c, bool ok, unsigned fails, unsigned passes) noexcept
{
    if (ok) {
        c.failed_in_row = 0;
        if (c.passed_in_row < kCap) ++c.passed_in_row;
        if (c.health == Health::down && c.passed_in_row >= passes) {
            c.health = Health::up;
            return true;
        }
        return false;
    }
    c.passed_in_row = 0;
    if (c.failed_in_row < kCap) ++c.failed_in_row;
    if (c.health == Health::up && c.failed_in_row >= fails) {
        c.health = Health::down;
        return true;
    }
    return false;
}

}  // namespace ox::health
