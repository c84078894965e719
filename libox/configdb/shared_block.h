// What the configdb poller shares with every httpd child, in one small
// shared-memory block: how the last polls went (for the status page), and
// a queue of changes the status page made that the poller's process writes
// to the configdb's write host. Plain structs and lock-free atomics, as
// state/shared_state.h; nothing points outside the block.
//
// Why a queue and not a write from the request: a request must never wait
// on MySQL. The status page applies a change to the member slots at once
// (every child balances by it), puts the change into a free entry here, and
// waits a short bounded time (our clock, not MySQL's) for the poller's
// thread to say whether the write went through. The poller's thread is the
// one thread that writes and reads the configdb, so a snapshot it reads can
// be told apart from changes still queued (pending_members): a poll never
// undoes a change the page made a moment ago.
//
// An entry's life (`phase`, advanced with compare-and-swap):
//   free -> claimed (a producer took it) -> ready (filled; `seq` set)
//   ready -> writing (the consumer took it) -> done_ok | done_failed
//   done_* -> free (the producer read the result)
// A producer that stops waiting marks ready/writing as *_orphan; the
// consumer frees an orphan itself when done. Entries left done by a process
// that died are freed by reclaim() after a minute; one left `writing` by a
// poller process that ended during the write (a graceful restart of a
// worker child, a crash) is ended by reclaim() at once, as failed with an
// unknown outcome: else its member would stay "pending" for good and no
// read would touch it.
#ifndef LIBOX_CONFIGDB_SHARED_BLOCK_H
#define LIBOX_CONFIGDB_SHARED_BLOCK_H

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "configdb/poller.h"
#include "configdb/store.h"
#include "core/clock.h"

namespace ox::configdb {

static_assert(std::atomic<std::uint32_t>::is_always_lock_free, "cross-process atomics must be lock-free");
static_assert(std::atomic<std::uint64_t>::is_always_lock_free, "cross-process atomics must be lock-free");

constexpr std::size_t kQueueEntries = 32;
constexpr std::size_t kSharedTextBytes = 256;

enum class EntryPhase : std::uint32_t {
    free = 0,
    claimed,
    ready,
    ready_orphan,
    writing,
    writing_orphan,
    done_ok,
    done_failed,
};

struct alignas(64) QueueEntry {
    std::atomic<std::uint32_t> phase;
    std::atomic<std::uint64_t> seq;       // order of the changes (set before ready)
    std::atomic<std::int64_t> stamp_ms;   // wall ms: when claimed, then when done
    std::atomic<std::int32_t> writer;     // pid of the process that took it for writing
    // Written by the producer before `ready`, read by the consumer after;
    // the result by the consumer before `done_*`, read by the producer after.
    char balancer[kMaxBalancerChars + 1];
    char route[kMaxRouteChars + 1];
    std::int32_t admin;       // AdminState, or -1: unchanged
    std::int32_t loadfactor;  // 0..100, or -1: unchanged
    char frontend[kMaxWhoChars + 1];
    char client[kMaxWhoChars + 1];
    char tool[32];
    char result[kSharedTextBytes];
};

// Text one thread writes and any process reads, under a sequence lock.
struct SharedText {
    std::atomic<std::uint32_t> seq;
    char text[kSharedTextBytes];
};
void set_text(SharedText& t, std::string_view s) noexcept;
std::string get_text(const SharedText& t);
// `keys` as the lines of SharedBlock::unknown_list, as many whole lines as
// fit; and back.
std::string member_lines(const std::vector<MemberKey>& keys);
std::vector<MemberKey> parse_member_lines(std::string_view text);

struct alignas(64) SharedBlock {
    static constexpr std::uint32_t kMagic = 0x4f584344;  // "OXCD"
    static constexpr std::uint32_t kVersion = 3;
    std::uint32_t magic;
    std::uint32_t version;

    // The poll status (the poller's thread writes; the status page reads).
    std::atomic<std::int64_t> last_success_ms;  // wall ms of the last good read; 0: none yet
    std::atomic<std::int64_t> outage_since_ms;  // wall ms of the first failure of this outage; 0: none
    std::atomic<std::int64_t> last_attempt_ms;  // wall ms of the last poll, good or not
    std::atomic<std::int64_t> last_error_ms;    // wall ms of last_error; 0: none ever
    SharedText last_error;                      // the last failure's text (never a password)
    std::atomic<std::uint64_t> polls;
    std::atomic<std::uint64_t> poll_failures;
    std::atomic<std::uint64_t> writes;           // status page changes written
    std::atomic<std::uint64_t> write_failures;   // ... that could not be written
    std::atomic<std::int64_t> last_write_error_ms;
    SharedText last_write_error;

    // This front end's announcement of its members (the poller's thread
    // writes; the status page reads).
    std::atomic<std::int64_t> last_announce_ms;           // wall ms of the last good one; 0: none yet
    std::atomic<std::int64_t> announce_failing_since_ms;  // wall ms of the first failure in a row; 0: not failing
    std::atomic<std::uint32_t> announced_members;         // how many the last good one named
    SharedText announce_error;                            // the first failure's text

    // The rows of the last good read for members this configuration lacks
    // (a member taken out, a typo written with --force): how many, and the
    // first of them as "balancer\troute\n" lines (cut at a whole line).
    std::atomic<std::uint32_t> unknown_rows;
    SharedText unknown_list;

    std::atomic<std::uint64_t> next_seq;
    QueueEntry entries[kQueueEntries];
};

// Formats `mem` (sizeof(SharedBlock) bytes, 64-byte aligned) as an empty
// block; returns it.
SharedBlock* format_block(void* mem) noexcept;
// The block in `mem` if it is one of this version, else null.
SharedBlock* attach_block(void* mem) noexcept;

// ---- producers (the status page, in any child) ----------------------------

struct Ticket {
    int entry = -1;  // -1: the queue was full
    std::uint64_t seq = 0;
};

// Queues a change (validate() it first; names longer than the fields are
// cut). `entry` is -1 when every entry is in use.
Ticket enqueue(SharedBlock& b, const Change& c, std::int64_t now_wall_ms) noexcept;

enum class WriteOutcome { written, failed, pending };
// Waits at most `timeout` (sleeping in short steps) for the consumer's
// result. written/failed: `result` holds the consumer's text and the entry
// is free again. pending: the consumer frees the entry when it is done.
WriteOutcome await(SharedBlock& b, const Ticket& t, Millis timeout, std::string& result) noexcept;

// ---- the consumer (the poller's thread) -----------------------------------

// The entries ready to be written, oldest change first.
std::vector<int> ready_entries(const SharedBlock& b);
// Takes entry `i` for writing and reads its change; false if it is not
// ready (any more).
bool begin_write(SharedBlock& b, int i, Change& out);
// Records the result of entry `i` (taken by begin_write).
void end_write(SharedBlock& b, int i, bool ok, std::string_view text, std::int64_t now_wall_ms) noexcept;
// Frees entries whose producer never came back for the result (died):
// done longer than `age` ago. Ends entries being written by a process that
// no longer exists (`writer_alive` false for its pid; default: kill(pid, 0)):
// failed, or freed if no producer waits; each such member is added to
// `abandoned` (when given) so the caller can report it.
struct AbandonedWrite {
    MemberKey member;
    std::int32_t writer = 0;
};
void reclaim(SharedBlock& b, std::int64_t now_wall_ms, std::int64_t age_ms = 60000,
             std::vector<AbandonedWrite>* abandoned = nullptr, bool (*writer_alive)(std::int32_t) = nullptr) noexcept;

// The members that have a change queued or being written (a snapshot read
// now may not have it yet). `unsure` is set when an entry is being filled
// and its member cannot be known.
void pending_members(const SharedBlock& b, std::set<MemberKey>& out, bool& unsure);

}  // namespace ox::configdb

#endif
