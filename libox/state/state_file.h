// OXStateFile: the admin states and load factors set at run time, kept in a
// file so that they survive a full stop and start (a graceful restart keeps
// them in shared memory already; see shared_state.cc, carry_over).
//
// The file is text an operator can read, one member a line:
//
//   # mod_oxbalance OXStateFile: admin states and load factors set at run time.
//   oxbalance-state 1
//   member oxcluster ajp://10.20.30.213:8009 admin=draining loadfactor=50 configured-admin=active configured-loadfactor=50
//   end 1
//
// - Line 1 that is not blank or a comment ('#') is "oxbalance-state VERSION";
//   this code reads version 1 only.
// - "member BALANCER URL key=value...": the member's identity (balancer
//   name and member URL, as in shared memory), its run-time admin state and
//   load factor, and the configuration's status= and loadfactor= when the
//   line was written. The four keys are required, each once, in any order.
//   In names, bytes that are not printable ASCII, and '%', are %XX.
// - "end COUNT" closes the file: COUNT is the number of member lines, so a
//   file cut short is seen as such. Nothing but blank lines and comments
//   follows it, and the file ends with a line feed.
//
// On reading, any error makes the whole file count as absent: the caller
// logs the error (it names the line) once and starts from the
// configuration. Members the configuration no longer has are ignored.
//
// Writing is atomic: a temporary file in the same directory, written,
// fsync'ed, renamed over the old one, and the directory fsync'ed. A write
// that fails leaves the old file as it was. The directory must be writable
// by the user httpd's children run as (they make the changes). Writers do
// not lock: the glue serialises its writes (e.g. a global mutex), or two
// children that change members at once may each write a snapshot without
// the other's change.
//
// Every function here allocates (std::string, std::vector) and may throw
// std::bad_alloc; none throws anything else.
#ifndef LIBOX_STATE_STATE_FILE_H
#define LIBOX_STATE_STATE_FILE_H

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "balance/member_state.h"

namespace ox::state {

constexpr int kStateFileVersion = 1;
constexpr std::size_t kMaxStateFileBytes = 1 << 20;

struct SavedMember {
    std::string balancer;
    std::string url;
    AdminState admin = AdminState::active;          // set at run time
    unsigned loadfactor = 1;                        // set at run time, 1..100
    AdminState config_admin = AdminState::active;   // status= when written
    unsigned config_loadfactor = 1;                 // loadfactor= when written
};

struct SavedState {
    std::vector<SavedMember> members;

    // The member's line, or null.
    const SavedMember* find(std::string_view balancer, std::string_view url) const noexcept;
};

// The file's text for `state`.
std::string format_state_file(const SavedState& state);

// Parses the file's text into `out` (cleared first). Returns "" or what is
// wrong, starting with "line N: "; on error `out` is left empty.
std::string parse_state_file(std::string_view text, SavedState& out);

enum class ReadResult { ok, missing, error };
// Reads and parses the file. `missing`: it does not exist (a first start;
// nothing to report). `error`: `error` says what, naming the path and, for
// a parse error, the line; `out` is empty.
ReadResult read_state_file(const std::string& path, SavedState& out, std::string& error);

// Writes the file atomically (see above). Returns "" or what failed, with
// the path (the temporary file's as its pattern, ".NAME.tmp.XXXXXX", so one
// cause always reads the same) and the system's error text.
std::string write_state_file(const std::string& path, const SavedState& state);

// What a member starts with at a full start: the saved run-time admin state
// and load factor, unless the configuration's value changed since the file
// was written (then the configuration's, as a graceful restart does) or the
// file does not have the member. Each of the two is decided on its own.
struct StartValues {
    AdminState admin;
    unsigned loadfactor;
};
StartValues start_values(const SavedState& saved, std::string_view balancer, std::string_view url,
                         AdminState configured_admin, unsigned configured_loadfactor) noexcept;

}  // namespace ox::state

#endif
