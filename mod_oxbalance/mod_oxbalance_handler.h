// The request hooks: translate_name claims requests under an OXPass prefix,
// map_to_storage skips the file-system walk for them, the handler forwards.
#ifndef MOD_OXBALANCE_HANDLER_H
#define MOD_OXBALANCE_HANDLER_H

#include "mod_oxbalance_httpd.h"

namespace oxb {

int translate_name(request_rec* r);
int map_to_storage(request_rec* r);
int handler(request_rec* r);

}  // namespace oxb

#endif
