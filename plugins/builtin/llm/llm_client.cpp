#include "plugins/builtin/llm/llm_client.hpp"

#include <algorithm>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "messages/errors.hpp"
#include "messages/json_codec.hpp"
#include "messages/msgpack_codec.hpp"

namespace troupe::builtin {

using std::chrono::milliseconds;
using clock_type = std::chrono::steady_clock;

/// How one HTTP attempt ended.
struct llm_client::attempt_result {
  enum class kind { answered, timeout, transport, untrusted, too_large };
  kind what = kind::transport;
  int status = 0;                      ///< answered: the HTTP status.
  std::string body;                    ///< answered: the body (at most max_body_bytes).
  std::string detail;                  ///< transport, untrusted: httplib's error.
  std::optional<milliseconds> retry_after;

  bool retryable() const {
    if (what == kind::timeout || what == kind::transport)
      return true;
    return what == kind::answered
           && (status == 408 || status == 409 || status == 429 || status >= 500);
  }
};

milliseconds retry_delay(const llm_settings& s, int retry, std::optional<milliseconds> retry_after,
                         double unit) {
  if (retry_after)
    return std::min(*retry_after, s.max_backoff);
  auto doubled = s.backoff.count();
  for (int i = 1; i < retry && doubled < s.max_backoff.count(); ++i)
    doubled *= 2;
  doubled = std::min<std::int64_t>(doubled, s.max_backoff.count());
  unit = std::clamp(unit, 0.0, 1.0);
  return milliseconds{static_cast<std::int64_t>(static_cast<double>(doubled) * (0.5 + unit / 2))};
}

std::optional<milliseconds> parse_retry_after(const std::string& retry_after_ms,
                                              const std::string& retry_after) {
  auto number = [](const std::string& text) -> std::optional<std::int64_t> {
    if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos)
      return std::nullopt;
    return std::stoll(text);
  };
  if (auto ms = number(retry_after_ms))
    return milliseconds{*ms};
  if (auto s = number(retry_after))
    return milliseconds{*s * 1000};
  return std::nullopt;
}

std::string server_message(const std::string& body) {
  auto doc = nlohmann::json::parse(body, nullptr, false);
  if (doc.is_object()) {
    auto e = doc.find("error");
    if (e != doc.end() && e->is_object() && e->contains("message") && (*e)["message"].is_string())
      return (*e)["message"].get<std::string>();
    if (e != doc.end() && e->is_string())
      return e->get<std::string>();
    auto m = doc.find("message");
    if (m != doc.end() && m->is_string())
      return m->get<std::string>();
  }
  return body.size() > 300 ? body.substr(0, 300) + "..." : body;
}

llm_client::llm_client(llm_settings settings, std::string plugin, sleeper sleep)
  : settings_(std::move(settings)), plugin_(std::move(plugin)), sleep_(std::move(sleep)),
    rng_(std::random_device{}()) {
  if (!sleep_)
    sleep_ = [](milliseconds d) { std::this_thread::sleep_for(d); };
}

caf::expected<payload> llm_client::post(const std::string& body) {
  std::uniform_real_distribution<double> unit{0.0, 1.0};
  for (int n = 0;; ++n) {
    if (n > 0)
      ++stats_.retries;
    ++stats_.attempts;
    auto r = attempt(body);
    if (!r.retryable() || n >= settings_.retries) {
      auto out = r.what == attempt_result::kind::answered && r.status / 100 == 2
                   ? accept(r)
                   : caf::expected<payload>{give_up(r, n + 1)};
      if (!out)
        ++stats_.failures;
      return out;
    }
    sleep_(retry_delay(settings_, n + 1, r.retry_after, unit(rng_)));
  }
}

llm_client::attempt_result llm_client::attempt(const std::string& body) {
  attempt_result r;
  httplib::Client cli{settings_.endpoint.origin};
  cli.set_connection_timeout(settings_.timeout);
  cli.set_read_timeout(settings_.timeout);
  cli.set_write_timeout(settings_.timeout);
  cli.set_follow_location(false);
  cli.enable_server_certificate_verification(true);
  if (!settings_.ca_file.empty())
    cli.set_ca_cert_path(settings_.ca_file);
  if (!settings_.api_key.empty())
    cli.set_bearer_token_auth(settings_.api_key);
  auto started = clock_type::now();
  auto deadline = started + settings_.timeout;
  bool late = false;
  bool too_large = false;
  httplib::Request req;
  req.method = "POST";
  req.path = settings_.endpoint.path;
  req.body = body;
  req.set_header("Content-Type", "application/json");
  req.set_header("Accept", "application/json");
  req.content_receiver = [&](const char* data, std::size_t n, std::uint64_t, std::uint64_t) {
    if (r.body.size() + n > settings_.max_body_bytes)
      return !(too_large = true);
    if (clock_type::now() > deadline)
      return !(late = true);
    r.body.append(data, n);
    return true;
  };
  httplib::Response res;
  httplib::Error err = httplib::Error::Success;
  bool ok = cli.send(req, res, err);
  auto elapsed = clock_type::now() - started;
  if (too_large) {
    r.what = attempt_result::kind::too_large;
  } else if (ok) {
    r.what = attempt_result::kind::answered;
    r.status = res.status;
    r.retry_after = parse_retry_after(res.get_header_value("retry-after-ms"),
                                      res.get_header_value("Retry-After"));
  } else if (late || err == httplib::Error::ConnectionTimeout
             || elapsed * 20 >= settings_.timeout * 19) { // a read, write or connect ran out
    r.what = attempt_result::kind::timeout;
  } else {
    r.what = err == httplib::Error::SSLServerVerification || err == httplib::Error::SSLLoadingCerts
               ? attempt_result::kind::untrusted
               : attempt_result::kind::transport;
    r.detail = httplib::to_string(err);
  }
  return r;
}

caf::expected<payload> llm_client::accept(const attempt_result& r) {
  const auto& url = settings_.endpoint.display_url;
  auto doc = payload_from_json_text(r.body);
  if (!doc)
    return make_error(errc::plugin_failed, plugin_,
                      "the answer from " + url + " is not JSON: " + detail_of(doc.error()));
  auto handle = unpack(*doc, plugin_);
  if (!handle || handle->get().type != msgpack::type::MAP)
    return make_error(errc::plugin_failed, plugin_,
                      "the answer from " + url + " is not a JSON object");
  return doc;
}

caf::error llm_client::give_up(const attempt_result& r, int attempts) {
  const auto& url = settings_.endpoint.display_url;
  auto tries = " (" + std::to_string(attempts) + (attempts == 1 ? " attempt)" : " attempts)");
  using k = attempt_result::kind;
  switch (r.what) {
    case k::too_large:
      return make_error(errc::limit_exceeded, plugin_,
                        "the answer from " + url + " is larger than max_body_bytes ("
                          + std::to_string(settings_.max_body_bytes) + ")");
    case k::timeout:
      return make_error(errc::timeout, plugin_,
                        "no answer from " + url + " within timeout_ms ("
                          + std::to_string(settings_.timeout.count()) + " ms)" + tries);
    case k::untrusted:
      return make_error(errc::unavailable, plugin_,
                        "cannot verify the TLS certificate of " + url + ": " + r.detail);
    case k::transport:
      return make_error(errc::unavailable, plugin_,
                        "cannot reach " + url + ": " + r.detail + tries);
    case k::answered: break;
  }
  auto what = "HTTP " + std::to_string(r.status) + " from " + url + ": " + server_message(r.body);
  if (r.retryable())
    return make_error(errc::unavailable, plugin_, what + tries);
  bool request_wrong = r.status == 400 || r.status == 404 || r.status == 413 || r.status == 422;
  return make_error(request_wrong ? errc::bad_input : errc::plugin_failed, plugin_, what);
}

} // namespace troupe::builtin
