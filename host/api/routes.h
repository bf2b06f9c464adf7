// The route groups of the admin API, one file each; ApiServer adds them all
// to its Router. docs/api.md documents every route.
#pragma once

namespace chorus::api {

class Router;
struct ApiContext;

// GET /healthz, GET /readyz, GET /metrics (health_routes.cpp).
void add_health_routes(Router& router, const ApiContext& ctx);
// POST /v1/events (publish_routes.cpp).
void add_publish_routes(Router& router, const ApiContext& ctx);
// GET /v1/events, GET /v1/streams/{id}, GET /v1/correlation/{id} (query_routes.cpp).
void add_query_routes(Router& router, const ApiContext& ctx);
// POST /v1/requests (request_routes.cpp).
void add_request_routes(Router& router, const ApiContext& ctx);
// GET /v1/dead-letters, GET|DELETE /v1/dead-letters/{id},
// POST /v1/dead-letters/{id}/replay (dead_letter_routes.cpp).
void add_dead_letter_routes(Router& router, const ApiContext& ctx);
// GET /v1/tail (WebSocket upgrade; tail_routes.cpp).
void add_tail_routes(Router& router, const ApiContext& ctx);
// GET|POST /v1/plugins, DELETE /v1/plugins/{name},
// POST /v1/plugins/{name}/reload (plugin_routes.cpp).
void add_plugin_routes(Router& router, const ApiContext& ctx);
// GET /v1/scripts, POST /v1/scripts/{name}/reload (script_routes.cpp).
void add_script_routes(Router& router, const ApiContext& ctx);
// GET|POST /v1/registry/services, GET|DELETE /v1/registry/services/{id},
// POST /v1/registry/services/{id}/heartbeat, POST /v1/registry/select
// (registry_routes.cpp).
void add_registry_routes(Router& router, const ApiContext& ctx);
// GET /v1/workflows, GET /v1/workflows/{id}, POST /v1/workflows/{id}/cancel,
// POST /v1/workflow-definitions/{name}/upgrade (workflow_routes.cpp).
void add_workflow_routes(Router& router, const ApiContext& ctx);

}  // namespace chorus::api
