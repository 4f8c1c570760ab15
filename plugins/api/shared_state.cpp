#include "plugins/api/shared_state.hpp"

namespace troupe {

void shared_state::put(const std::string& key, payload value) {
  std::unique_lock guard{mutex_};
  values_[key] = std::move(value);
}

std::optional<payload> shared_state::get(const std::string& key) const {
  std::shared_lock guard{mutex_};
  auto i = values_.find(key);
  if (i == values_.end())
    return std::nullopt;
  return i->second;
}

bool shared_state::erase(const std::string& key) {
  std::unique_lock guard{mutex_};
  return values_.erase(key) > 0;
}

std::vector<std::string> shared_state::keys() const {
  std::shared_lock guard{mutex_};
  std::vector<std::string> result;
  result.reserve(values_.size());
  for (const auto& entry : values_)
    result.push_back(entry.first);
  return result;
}

} // namespace troupe
