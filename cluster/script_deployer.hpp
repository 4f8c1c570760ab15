#pragma once
// Scripts sent to a node as text (`troupe deploy`), kept in the node's data directory and hosted
// like any plugin of their kind: sandboxed, supervised, reloadable. The work drives the runtime's
// blocking API, so it runs on a worker thread of its own, one job at a time, behind an actor.

#include <string>
#include <vector>

#include <caf/expected.hpp>
#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "messages/cluster_types.hpp"
#include "messages/plugin_types.hpp"

namespace troupe {

class runtime;

/// - deploy, request: writes the script to DIR/deployed/ID.EXT and hosts it (load, init, start);
///   an id deployed before gets the new text and a reload (state carried; the old version serves
///   on if the new one fails). Errors, each naming the plugin: bad_input for a file no kind
///   makes or an id that is no file name, the validator's problems as FILE:LINE: message,
///   already_exists for an id the node's config hosts; the node is then unchanged.
/// - undeploy, id, local: stops, unloads and removes a deployed script and deletes its file;
///   false if this node has no deployed script of that id.
using deployer_actor = caf::typed_actor<
  caf::replies_to<deploy_atom, deploy_request>::with<plugin_metadata>,
  caf::replies_to<undeploy_atom, std::string, local_atom>::with<bool>>;

/// The deployer of one node: an actor (handle()) and its worker thread. Not copyable.
class script_deployer {
public:
  /// Starts the worker and the actor of the node `node_name`, keeping scripts under `data_dir`.
  /// REQUIRES: `rt` outlives this object.
  script_deployer(caf::actor_system& sys, runtime& rt, std::string node_name,
                  std::string data_dir);

  /// Lets the job under way finish, stops the worker, ends the actor (later requests get
  /// an error).
  ~script_deployer();

  script_deployer(const script_deployer&) = delete;
  script_deployer& operator=(const script_deployer&) = delete;

  /// Where deploy and undeploy requests go.
  const deployer_actor& handle() const { return handle_; }

  struct worker;

private:
  std::shared_ptr<worker> worker_;
  deployer_actor handle_;
};

/// Hosts every script kept in DATA_DIR/deployed (a restarted node's deployed scripts), each
/// loaded, initialised and started; one result per file, naming it on error.
std::vector<caf::expected<plugin_metadata>> restore_deployed(runtime& rt,
                                                             const std::string& data_dir);

} // namespace troupe
