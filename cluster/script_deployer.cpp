#include "cluster/script_deployer.hpp"

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include "actors/runtime.hpp"
#include "messages/errors.hpp"

namespace fs = std::filesystem;

namespace troupe {

namespace {

/// The largest script a node takes: 4 MiB.
constexpr std::size_t max_script_size = 4u << 20;

fs::path deployed_dir(const std::string& data_dir) {
  return fs::path(data_dir) / "deployed";
}

bool valid_id(const std::string& id) {
  if (id.empty() || id.size() > 128 || id[0] == '.')
    return false;
  for (char c : id)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.'))
      return false;
  return true;
}

caf::error write_file(const fs::path& path, const std::string& text) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  auto tmp = path;
  tmp += ".incoming";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out)
      return make_error(errc::unavailable, "", "cannot write '" + tmp.string() + "'");
  }
  fs::rename(tmp, path, ec);
  if (ec)
    return make_error(errc::unavailable, "", "cannot write '" + path.string() + "': " + ec.message());
  return {};
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

/// The kept file of deployed plugin `id`, or an empty path.
fs::path kept_file(const std::string& data_dir, const std::string& id) {
  std::error_code ec;
  for (const auto& f : fs::directory_iterator(deployed_dir(data_dir), ec))
    if (f.is_regular_file() && f.path().stem() == id && f.path().extension() != ".incoming")
      return f.path();
  return {};
}

/// Loads, initialises and starts `id`; on failure takes it out again.
caf::expected<plugin_metadata> bring_up(runtime& rt, const std::string& id) {
  for (auto op : {lifecycle_op::load, lifecycle_op::init, lifecycle_op::start}) {
    if (auto st = rt.step(op, id); !st) {
      rt.step(lifecycle_op::stop, id);
      rt.step(lifecycle_op::unload, id);
      rt.remove(id);
      return std::move(st.error());
    }
  }
  return rt.metadata(id);
}

/// Adds the plugin of the kept file `path` under `id` and starts it.
caf::expected<plugin_metadata> host_file(runtime& rt, const fs::path& path, const std::string& id) {
  auto spec = rt.kinds().spec_for_file(path.string());
  if (!spec)
    return std::move(spec.error());
  spec->config.id = id;
  if (auto added = rt.add(*spec); !added)
    return added;
  return bring_up(rt, id);
}

/// The validator's errors as "FILE:LINE: message" lines, or none.
caf::error problems_in(const kind_definition& kind, const deploy_request& req,
                       const std::string& id) {
  std::string text;
  for (const auto& p : kind.validate(req.text))
    if (!p.warning)
      text += (text.empty() ? "" : "; ") + req.file_name + ":" + std::to_string(p.line) + ": "
              + p.message;
  if (text.empty())
    return {};
  return make_error(errc::bad_input, id, "refused: " + text);
}

/// A new text for a deployed id: kept, then reloaded; the old text is put back if that fails.
caf::expected<plugin_metadata> replace(runtime& rt, const fs::path& file, const std::string& text,
                                       const std::string& id) {
  auto old_text = read_file(file);
  if (auto err = write_file(file, text))
    return err;
  auto md = rt.reload(id);
  if (!md)
    write_file(file, old_text);
  return md;
}

caf::expected<plugin_metadata> deploy(runtime& rt, const std::string& node,
                                      const std::string& data_dir, const deploy_request& req) {
  auto name = fs::path(req.file_name).filename().string();
  const auto* kind = rt.kinds().watching(name);
  auto id = req.id.empty() ? fs::path(name).stem().string() : req.id;
  if (kind == nullptr || !kind->validate)
    return make_error(errc::bad_input, id,
                      "no plugin kind makes a plugin from '" + name + "'");
  if (!valid_id(id))
    return make_error(errc::bad_input, id,
                      "a deployed plugin's id must be letters, digits, '_', '-' or '.'");
  if (req.text.size() > max_script_size)
    return make_error(errc::bad_input, id,
                      "'" + name + "' is " + std::to_string(req.text.size())
                        + " bytes; a deployed script may have at most "
                        + std::to_string(max_script_size));
  if (auto err = problems_in(*kind, req, id))
    return err;
  auto existing = kept_file(data_dir, id);
  if (!existing.empty())
    return replace(rt, existing, req.text, id);
  if (rt.metadata(id))
    return make_error(errc::already_exists, id,
                      "node '" + node + "' hosts this plugin from its config, not a deploy");
  auto file = deployed_dir(data_dir) / (id + fs::path(name).extension().string());
  if (auto err = write_file(file, req.text))
    return make_error(errc::unavailable, id, detail_of(err));
  auto md = host_file(rt, file, id);
  if (!md) {
    std::error_code ec;
    fs::remove(file, ec);
  } else {
    spdlog::info("node '{}': deployed '{}' ({})", node, id, file.string());
  }
  return md;
}

bool undeploy(runtime& rt, const std::string& node, const std::string& data_dir,
              const std::string& id) {
  auto file = kept_file(data_dir, id);
  if (file.empty())
    return false;
  rt.step(lifecycle_op::stop, id);
  rt.step(lifecycle_op::unload, id);
  if (auto removed = rt.remove(id); !removed)
    spdlog::warn("node '{}': undeploy '{}': {}", node, id, describe(removed.error()));
  std::error_code ec;
  fs::remove(file, ec);
  spdlog::info("node '{}': undeployed '{}'", node, id);
  return true;
}

} // namespace

/// One job at a time on a thread of its own; jobs queued after close() are dropped.
struct script_deployer::worker {
  std::mutex mtx;
  std::condition_variable wake;
  std::deque<std::function<void()>> jobs;
  bool closed = false;
  std::thread thread;

  void run() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock<std::mutex> guard{mtx};
        wake.wait(guard, [this] { return closed || !jobs.empty(); });
        if (jobs.empty())
          return;
        job = std::move(jobs.front());
        jobs.pop_front();
      }
      job();
    }
  }

  bool post(std::function<void()> job) {
    std::lock_guard<std::mutex> guard{mtx};
    if (closed)
      return false;
    jobs.push_back(std::move(job));
    wake.notify_one();
    return true;
  }
};

namespace {

/// The actor in front of the worker: requests become jobs; each job's answer comes back as a
/// message (done, ticket, result) and is delivered to the request's promise.
using deployer_impl_actor = deployer_actor::extend<
  caf::reacts_to<done_atom, std::uint64_t, plugin_metadata>,
  caf::reacts_to<done_atom, std::uint64_t, caf::error>,
  caf::reacts_to<done_atom, std::uint64_t, bool>>;

struct deployer_state {
  std::map<std::uint64_t, caf::typed_response_promise<plugin_metadata>> deploys;
  std::map<std::uint64_t, caf::typed_response_promise<bool>> undeploys;
  std::uint64_t next = 1;
  static inline const char* name = "troupe.script_deployer";
};

deployer_impl_actor::behavior_type
deployer_behavior(deployer_impl_actor::stateful_pointer<deployer_state> self,
                  std::shared_ptr<script_deployer::worker> w, runtime* rt, std::string node,
                  std::string data_dir) {
  auto busy = [node](const std::string& id) {
    return make_error(errc::unavailable, id, "node '" + node + "' is shutting down");
  };
  return {
    [=](deploy_atom, deploy_request& req) -> caf::result<plugin_metadata> {
      auto ticket = self->state.next++;
      auto me = caf::actor_cast<deployer_impl_actor>(self);
      if (!w->post([=] {
            auto md = deploy(*rt, node, data_dir, req);
            if (md)
              caf::anon_send(me, done_atom::value, ticket, std::move(*md));
            else
              caf::anon_send(me, done_atom::value, ticket, std::move(md.error()));
          }))
        return busy(req.id);
      return self->state.deploys[ticket] = self->make_response_promise<plugin_metadata>();
    },
    [=](undeploy_atom, const std::string& id, local_atom) -> caf::result<bool> {
      auto ticket = self->state.next++;
      auto me = caf::actor_cast<deployer_impl_actor>(self);
      if (!w->post([=] {
            caf::anon_send(me, done_atom::value, ticket, undeploy(*rt, node, data_dir, id));
          }))
        return busy(id);
      return self->state.undeploys[ticket] = self->make_response_promise<bool>();
    },
    [=](done_atom, std::uint64_t ticket, plugin_metadata& md) {
      self->state.deploys[ticket].deliver(std::move(md));
      self->state.deploys.erase(ticket);
    },
    [=](done_atom, std::uint64_t ticket, caf::error& err) {
      self->state.deploys[ticket].deliver(std::move(err));
      self->state.deploys.erase(ticket);
    },
    [=](done_atom, std::uint64_t ticket, bool removed) {
      self->state.undeploys[ticket].deliver(removed);
      self->state.undeploys.erase(ticket);
    },
  };
}

} // namespace

script_deployer::script_deployer(caf::actor_system& sys, runtime& rt, std::string node_name,
                                 std::string data_dir)
  : worker_(std::make_shared<worker>()) {
  worker_->thread = std::thread([w = worker_.get()] { w->run(); });
  handle_ = caf::actor_cast<deployer_actor>(
    sys.spawn(deployer_behavior, worker_, &rt, std::move(node_name), std::move(data_dir)));
}

script_deployer::~script_deployer() {
  {
    std::lock_guard<std::mutex> guard{worker_->mtx};
    worker_->closed = true;
    worker_->jobs.clear();
    worker_->wake.notify_one();
  }
  if (worker_->thread.joinable())
    worker_->thread.join(); // the job under way finishes
  caf::anon_send_exit(handle_, caf::exit_reason::user_shutdown);
}

std::vector<caf::expected<plugin_metadata>> restore_deployed(runtime& rt,
                                                             const std::string& data_dir) {
  std::vector<caf::expected<plugin_metadata>> out;
  std::error_code ec;
  for (const auto& f : fs::directory_iterator(deployed_dir(data_dir), ec)) {
    if (!f.is_regular_file() || f.path().extension() == ".incoming"
        || rt.kinds().watching(f.path().string()) == nullptr)
      continue;
    out.push_back(host_file(rt, f.path(), f.path().stem().string()));
  }
  return out;
}

} // namespace troupe
