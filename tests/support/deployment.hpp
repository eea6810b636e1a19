#pragma once
// A deployment of separate processes, as production runs one: gateways (`--roles gateway,api`)
// and services (`--roles service,notify,api`; the api only so that each has an address to
// watch) on one NATS and one database. For the fault suite, which breaks one of them.

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/serve_process.hpp"

namespace parkchat::testing {

struct DeploymentOptions {
  std::string nats_url;
  std::string database_url;
  std::string jwt_secret;
  int gateways = 2;
  int services = 1;
  // Per gateway, a NATS URL of its own (a FaultProxy in front of NATS); empty: nats_url.
  std::vector<std::string> gateway_nats_urls;
  // The services' database URL, when not database_url (a FaultProxy in front of PostgreSQL).
  std::string service_database_url;
  std::vector<std::string> extra_args;  // for every process
};

class Deployment {
 public:
  explicit Deployment(const DeploymentOptions& options) {
    auto args = [&](const std::string& nats, const std::string& database, const char* roles) {
      std::vector<std::string> line{"--nats-url", nats, "--database-url", database, "--jwt-secret", options.jwt_secret,
                                    "--roles", roles, "--threads", "1"};
      line.insert(line.end(), options.extra_args.begin(), options.extra_args.end());
      return line;
    };
    // Services first: the service role owns the streams, which the gateways only check.
    for (int i = 0; i < options.services; ++i) {
      services_.push_back(std::make_unique<ServeProcess>(
          args(options.nats_url, options.service_database_url.empty() ? options.database_url : options.service_database_url,
               "service,notify,api")));
    }
    for (int i = 0; i < options.gateways; ++i) {
      const auto index = static_cast<std::size_t>(i);
      const std::string nats = index < options.gateway_nats_urls.size() && !options.gateway_nats_urls[index].empty()
                                   ? options.gateway_nats_urls[index]
                                   : options.nats_url;
      gateways_.push_back(std::make_unique<ServeProcess>(args(nats, options.database_url, "gateway,api")));
    }
  }

  ServeProcess& gateway(std::size_t i) { return *gateways_.at(i); }
  ServeProcess& service(std::size_t i) { return *services_.at(i); }
  bool started() const {
    for (const auto& p : services_) if (p->url().empty()) return false;
    for (const auto& p : gateways_) if (p->url().empty()) return false;
    return true;
  }
  std::vector<std::string> gateway_urls() const {
    std::vector<std::string> urls;
    for (const auto& g : gateways_) urls.push_back(g->url());
    return urls;
  }
  std::string logs() const {
    std::string text;
    for (std::size_t i = 0; i < services_.size(); ++i) text += "service " + std::to_string(i) + ":\n" + services_[i]->log() + "\n";
    for (std::size_t i = 0; i < gateways_.size(); ++i) text += "gateway " + std::to_string(i) + ":\n" + gateways_[i]->log() + "\n";
    return text;
  }

 private:
  std::vector<std::unique_ptr<ServeProcess>> services_;
  std::vector<std::unique_ptr<ServeProcess>> gateways_;
};

// simulate's load for a fault case: 200 clients in rooms of 10 at 2 messages a second each, a
// tenth through REST, for `seconds` of sending.
inline nlohmann::json fault_load(int seconds) {
  return {{"name", "under a fault"}, {"clients", 200}, {"roomSize", 10}, {"rampUp", "1s"},
          {"duration", std::to_string(seconds) + "s"}, {"ratePerClient", 2}, {"messageBytes", 64}, {"restShare", 0.1}};
}

}  // namespace parkchat::testing
