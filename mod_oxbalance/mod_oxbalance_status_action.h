// The status page's POST side: an action (drain, disable, enable, standby,
// load factor) on one member, checked in the order libox status/actions.h
// gives: form type, body (at most 4 KiB), fields, nonce, member. A change
// goes into shared memory (every child acts on it at once), is logged once
// (OXB00080) and saved (OXStateFile); a refusal changes nothing.
#ifndef MOD_OXBALANCE_STATUS_ACTION_H
#define MOD_OXBALANCE_STATUS_ACTION_H

#include "mod_oxbalance_status_page.h"

namespace oxb {

int post_status_action(const StatusRequest& q);

}  // namespace oxb

#endif
