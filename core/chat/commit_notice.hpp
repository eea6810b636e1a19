#pragma once
// The payload of chat.messages.committed and of chat.messages.stored's request and answer
// (core/chat/subjects.hpp): message ids, {"ids": [...]} / {"stored": [...]}.

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace parkchat::chat {

std::string commit_notice(const std::vector<std::string>& ids);
// The ids of a notice, or of a request's or answer's `field`; only canonical UUIDs, at most
// 10,000; empty for anything else.
std::vector<std::string> ids_of(std::string_view json, const char* field = "ids");
std::vector<std::string> ids_of(const nlohmann::json& object, const char* field = "ids");

}  // namespace parkchat::chat
