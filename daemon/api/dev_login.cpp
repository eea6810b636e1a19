#include "daemon/api/dev_login.hpp"

#include <nlohmann/json.hpp>

#include "core/auth/token.hpp"
#include "core/chat/text.hpp"
#include "core/proto/bounded_json.hpp"
#include "core/proto/envelope.hpp"
#include "daemon/api/rest_api.hpp"

namespace parkchat::api {
namespace {

constexpr std::int64_t kMaxUserId = (std::int64_t{1} << 53) - 1;  // exact in JavaScript
constexpr std::size_t kMaxName = 100;

}  // namespace

web::HttpResponse DevLogin::handle(const web::HttpRequest& request) const {
  if (request.method == "GET") return {200, proto::ok_envelope({{"enabled", true}}).dump(), "application/json", {}};
  if (request.method != "POST") return error_response({Errc::not_found, "no route " + request.method + " /dev/token"});
  const nlohmann::json body = proto::parse_bounded_json(request.body);
  if (!body.is_object()) return error_response({Errc::validation, "the body must be a JSON object {userId, name}"});
  const auto user = body.find("userId");
  if (user == body.end() || !user->is_number_integer() || user->get<std::int64_t>() < 1 ||
      user->get<std::int64_t>() > kMaxUserId) {
    return error_response({Errc::validation, "userId must be an integer from 1 to 2^53-1"});
  }
  std::string name;
  if (const auto n = body.find("name"); n != body.end() && !n->is_null()) {
    if (!n->is_string()) return error_response({Errc::validation, "name must be a string"});
    if (auto valid = chat::check_stored_text("name", n->get<std::string>(), kMaxName); !valid) {
      return error_response(valid.error());
    }
    name = n->get<std::string>();
  }
  auto token = auth::mint_token({user->get<std::int64_t>(), name}, secret_, std::chrono::hours(24));
  if (!token) return error_response(token.error());
  return {200, proto::ok_envelope({{"token", *token}}).dump(), "application/json", {}};
}

}  // namespace parkchat::api
