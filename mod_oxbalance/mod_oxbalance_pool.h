// C++ objects whose lifetime is an APR pool: created with new, deleted by a
// pool cleanup. Nothing with a destructor lives in apr_palloc memory.
#ifndef MOD_OXBALANCE_POOL_H
#define MOD_OXBALANCE_POOL_H

#include <utility>

#include "mod_oxbalance_httpd.h"

namespace oxb {

template <class T>
apr_status_t delete_object(void* p)
{
    delete static_cast<T*>(p);
    return APR_SUCCESS;
}

// May throw (std::bad_alloc, or whatever T's constructor throws): callers
// are directive handlers and hooks, which catch.
template <class T, class... Args>
T* pool_new(apr_pool_t* pool, Args&&... args)
{
    T* obj = new T(std::forward<Args>(args)...);
    apr_pool_cleanup_register(pool, obj, delete_object<T>, apr_pool_cleanup_null);
    return obj;
}

}  // namespace oxb

#endif
