#include "plugins/native/library_loader.hpp"

#include <atomic>
#include <filesystem>

#include <dlfcn.h>
#include <unistd.h>
#include <sys/stat.h>

#include "messages/errors.hpp"
#include "plugins/native/abi.hpp"

namespace troupe {

namespace {

/// Owns one dlopen handle; closes it when the last plugin made from it is gone.
class library_handle {
public:
  explicit library_handle(void* handle) : handle_(handle) {}
  library_handle(const library_handle&) = delete;
  library_handle& operator=(const library_handle&) = delete;
  ~library_handle() { dlclose(handle_); }

  void* symbol(const char* name) const { return dlsym(handle_, name); }

private:
  void* handle_;
};

/// A plugin from a library: forwards every call to the library's instance, destroys that instance
/// with the library's own destroy function, and keeps the library mapped until then.
class library_plugin final : public plugin {
public:
  library_plugin(std::shared_ptr<library_handle> library, plugin* impl,
                 troupe_plugin_destroy_fn destroy)
    : library_(std::move(library)), impl_(impl), destroy_(destroy) {}

  ~library_plugin() override { destroy_(impl_); }

  plugin_metadata metadata() const override { return impl_->metadata(); }
  caf::error load(plugin_context& ctx) override { return impl_->load(ctx); }
  caf::error init(plugin_context& ctx) override { return impl_->init(ctx); }
  caf::error start(plugin_context& ctx) override { return impl_->start(ctx); }
  caf::error pause(plugin_context& ctx) override { return impl_->pause(ctx); }
  caf::error resume(plugin_context& ctx) override { return impl_->resume(ctx); }
  caf::error stop(plugin_context& ctx) override { return impl_->stop(ctx); }
  caf::error unload(plugin_context& ctx) override { return impl_->unload(ctx); }
  caf::expected<payload> execute(plugin_context& ctx, const payload& input) override {
    return impl_->execute(ctx, input);
  }
  caf::expected<std::string> health_check(plugin_context& ctx) override {
    return impl_->health_check(ctx);
  }
  std::map<std::string, std::int64_t> counters() const override { return impl_->counters(); }
  std::vector<tool_spec> tools() const override { return impl_->tools(); }
  caf::expected<payload> call_tool(plugin_context& ctx, const std::string& name,
                                   const payload& args) override {
    return impl_->call_tool(ctx, name, args);
  }
  caf::expected<payload> call_function(plugin_context& ctx, const std::string& name,
                                       const payload& args) override {
    return impl_->call_function(ctx, name, args);
  }
  bool keeps_state() const override { return impl_->keeps_state(); }
  caf::expected<payload> checkpoint(plugin_context& ctx) override { return impl_->checkpoint(ctx); }
  caf::error restore(plugin_context& ctx, const payload& state) override {
    return impl_->restore(ctx, state);
  }

private:
  std::shared_ptr<library_handle> library_;
  plugin* impl_;
  troupe_plugin_destroy_fn destroy_;
};

std::string last_dl_error() {
  const char* text = dlerror();
  return text ? text : "unknown dynamic loader error";
}

template <class Fn>
Fn find_symbol(const library_handle& lib, const char* name) {
  return reinterpret_cast<Fn>(lib.symbol(name));
}

/// Copies the library to a file of its own under the temp directory.
caf::expected<std::string> private_copy(const std::string& path) {
  static std::atomic<std::uint64_t> counter{0};
  namespace fs = std::filesystem;
  std::error_code ec;
  auto target = fs::temp_directory_path(ec)
                / ("troupe-" + std::to_string(::getpid()) + "-" + std::to_string(++counter) + "-"
                   + fs::path(path).filename().string());
  if (ec || !fs::is_regular_file(path)
      || !fs::copy_file(path, target, fs::copy_options::overwrite_existing, ec))
    return make_error(errc::load_failed, "",
                      "cannot load library '" + path + "': "
                        + (ec ? ec.message() : std::string("not a regular file")));
  return target.string();
}

} // namespace

caf::expected<std::unique_ptr<plugin>> load_library_plugin(const std::string& path,
                                                           const std::string& plugin_id) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0)
    return make_error(errc::not_found, plugin_id, "no plugin library at '" + path + "'");
  // Load from a private copy: the dynamic loader caches libraries by path, so loading the same
  // path again (a reload after the file changed) would hand back the old code. The copy is
  // unlinked once mapped; the mapping lives until the last instance from it is destroyed.
  auto copy = private_copy(path);
  if (!copy)
    return make_error(errc::load_failed, plugin_id, detail_of(copy.error()));
  dlerror(); // clear any stale error
  void* raw = dlopen(copy->c_str(), RTLD_NOW | RTLD_LOCAL);
  std::error_code ignored;
  std::filesystem::remove(*copy, ignored);
  if (raw == nullptr)
    return make_error(errc::load_failed, plugin_id,
                      "cannot load library '" + path + "': " + last_dl_error());
  auto library = std::make_shared<library_handle>(raw);
  auto version = find_symbol<troupe_plugin_abi_version_fn>(*library, "troupe_plugin_abi_version");
  if (version == nullptr)
    return make_error(errc::load_failed, plugin_id,
                      "'" + path + "' is not a Troupe plugin: it exports no troupe_plugin_abi_version");
  if (auto v = version(); v != TROUPE_PLUGIN_ABI_VERSION)
    return make_error(errc::abi_mismatch, plugin_id,
                      "'" + path + "' was built for plugin ABI " + std::to_string(v)
                        + ", this runtime speaks ABI " + std::to_string(TROUPE_PLUGIN_ABI_VERSION));
  auto create = find_symbol<troupe_plugin_create_fn>(*library, "troupe_plugin_create");
  auto destroy = find_symbol<troupe_plugin_destroy_fn>(*library, "troupe_plugin_destroy");
  if (create == nullptr || destroy == nullptr)
    return make_error(errc::load_failed, plugin_id,
                      "'" + path + "' lacks troupe_plugin_create or troupe_plugin_destroy");
  plugin* impl = create();
  if (impl == nullptr)
    return make_error(errc::load_failed, plugin_id,
                      "'" + path + "': troupe_plugin_create returned no plugin");
  return std::unique_ptr<plugin>{new library_plugin(std::move(library), impl, destroy)};
}

plugin_factory library_plugin_factory(std::string path, std::string plugin_id) {
  return [path = std::move(path), plugin_id = std::move(plugin_id)] {
    return load_library_plugin(path, plugin_id);
  };
}

} // namespace troupe
