#include "messages/registration.hpp"

#include <map>
#include <string>
#include <vector>

#include "messages/cluster_protocol.hpp"
#include "messages/errors.hpp"
#include "messages/manager_protocol.hpp"
#include "messages/plugin_protocol.hpp"
#include "messages/payload.hpp"
#include "messages/plugin_types.hpp"
#include "messages/runtime_event.hpp"

namespace troupe {

void register_types(caf::actor_system_config& cfg) {
  // add_message_type<T> also announces std::vector<T>.
  cfg.add_message_type<payload>("troupe::payload")
    .add_message_type<plugin_type>("troupe::plugin_type")
    .add_message_type<plugin_state>("troupe::plugin_state")
    .add_message_type<plugin_metadata>("troupe::plugin_metadata")
    .add_message_type<plugin_config>("troupe::plugin_config")
    .add_message_type<plugin_health>("troupe::plugin_health")
    .add_message_type<plugin_stats>("troupe::plugin_stats")
    .add_message_type<plugin_info>("troupe::plugin_info")
    .add_message_type<tool_info>("troupe::tool_info")
    .add_message_type<call_outcome>("troupe::call_outcome")
    .add_message_type<runtime_event>("troupe::runtime_event")
    .add_message_type<std::map<std::string, std::string>>("troupe::string_map");
  cfg.add_message_type<plugin_actor>("troupe::plugin_actor");
  cfg.add_message_type<manager_actor>("troupe::manager_actor");
  cfg.add_message_type<member_info>("troupe::member_info")
    .add_message_type<directory_entry>("troupe::directory_entry")
    .add_message_type<join_reply>("troupe::join_reply")
    .add_message_type<member_status>("troupe::member_status")
    .add_message_type<deploy_request>("troupe::deploy_request");
  cfg.add_message_type<node_actor>("troupe::node_actor");
  cfg.add_message_type<router_actor>("troupe::router_actor");
  cfg.add_error_category(error_category, render_error);
}

} // namespace troupe
