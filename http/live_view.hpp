#pragma once
// The live view's page (http/live_view.html, built into the binary).

#include <string>

namespace troupe {

/// The HTML of GET /: it polls /api/status and /api/events and shows the node's plugins (state,
/// calls per second, p99 latency, restarts, reloads), the event stream and the cluster's members.
const std::string& live_view_page();

} // namespace troupe
