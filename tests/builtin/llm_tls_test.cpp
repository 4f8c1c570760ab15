// HTTPS: the llm plugin verifies the server's certificate. A server with a self-signed
// certificate (made by the openssl command for this test) is refused with the system's CA
// bundle and accepted when ca_file names that certificate.

#include <cstdlib>
#include <thread>

#include "actor_fixture.hpp"
#include "llm_fixture.hpp"

namespace troupe::test {
namespace {

/// An HTTPS chat-completions server on 127.0.0.1 with a certificate for 127.0.0.1 that no
/// system authority signed.
class tls_server {
public:
  explicit tls_server(const temp_dir& dir)
    : cert_(dir.file("cert.pem")), key_(dir.file("key.pem")), ok_(make_cert()),
      server_(cert_.c_str(), key_.c_str()) {
    port_ = server_.bind_to_any_port("127.0.0.1");
    server_.Post("/v1/chat/completions", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(completion("over tls").dump(), "application/json");
    });
    thread_ = std::thread{[this] {
      server_.listen_after_bind();
      listening_done_ = true;
    }};
  }
  ~tls_server() {
    stop_listening(server_, listening_done_);
    thread_.join();
  }

  bool ok() const { return ok_ && server_.is_valid() && port_ > 0; }
  std::string base_url() const { return "https://127.0.0.1:" + std::to_string(port_) + "/v1"; }
  const std::string& cert() const { return cert_; }

private:
  bool make_cert() const {
    auto cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1"
               " -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout '" + key_
               + "' -out '" + cert_ + "' 2>/dev/null";
    return std::system(cmd.c_str()) == 0;
  }

  std::string cert_;
  std::string key_;
  bool ok_;
  httplib::SSLServer server_;
  int port_ = 0;
  std::atomic<bool> listening_done_{false};
  std::thread thread_;
};

class LlmTls : public llm_fixture {
protected:
  temp_dir dir;
};

TEST_F(LlmTls, UntrustedCertificateIsRefusedAndNotRetried) {
  tls_server tls{dir};
  ASSERT_TRUE(tls.ok());
  auto s = base();
  s["base_url"] = tls.base_url();
  ready(s);
  auto out = chat(hello());
  EXPECT_LLM_ERROR(out, errc::unavailable);
  EXPECT_NE(describe(out.error()).find("TLS certificate"), std::string::npos)
    << describe(out.error());
  EXPECT_TRUE(sleeps.empty());
}

TEST_F(LlmTls, CertificateTrustedThroughCaFileIsAccepted) {
  tls_server tls{dir};
  ASSERT_TRUE(tls.ok());
  auto s = base();
  s["base_url"] = tls.base_url();
  s["ca_file"] = tls.cert();
  ready(s);
  auto out = chat(hello());
  ASSERT_TRUE(out) << describe(out.error());
  EXPECT_EQ(*out, completion("over tls"));
}

} // namespace
} // namespace troupe::test
