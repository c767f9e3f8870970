// GET of a list a managed tenant owns (its products, its orders): the page
// of it that list(db, tenant id, window) returns, each row as to_json
// shapes it.
#pragma once

#include "routes/authorization.h"
#include "routes/request_body.h"
#include "routes/services.h"

namespace analytics::routes {

template <typename List, typename ToJson>
http::Handler tenant_list(Services &services, List list, ToJson to_json)
{
    return [&services, list, to_json](http::Request &request) {
        auto db = services.db.borrow();
        auto tenant = managed_tenant(*db, request);
        return page_response(list(*db, tenant.id, page_of(request, 1000)), to_json);
    };
}

}  // namespace analytics::routes
