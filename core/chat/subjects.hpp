#pragma once
// The NATS subjects of a room and a user (CONTRACT §5), and the live subjects gateways follow.
//
// What a room's sockets receive comes from chat.live.{id}.*, one subscription per room: the
// streams republish there what they stored (messages from CHAT_MESSAGES, typing from
// CHAT_TYPING), so a publish the stream drops as a duplicate (a resend, or an id taken by
// another message) is delivered to nobody; membership events are published there directly.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/chat/room.hpp"

namespace parkchat::chat {

// A room's messages: chat.dm.{id}.message for DIRECT rooms, chat.room.{id}.message otherwise.
std::string message_subject(RoomType type, std::string_view room_id);
// chat.room.{id}.typing
std::string typing_subject(std::string_view room_id);

inline constexpr const char* kLivePrefix = "chat.live.";
// chat.live.{id}.message.{room|dm} and chat.live.{id}.typing: where CHAT_MESSAGES and
// CHAT_TYPING republish what they stored (the streams' RePublish settings, core/bus/streams.cpp;
// nats-server 2.9 wants every wildcard of the source in the destination, hence the last token).
// chat.live.{id}.members: {roomId, memberIds} after a membership change.
std::string members_subject(std::string_view room_id);
// chat.live.{id}.joined and .left: a user's socket entered or left the room on some gateway.
std::string joined_subject(std::string_view room_id);
std::string left_subject(std::string_view room_id);
// chat.live.{id}.>: everything a room's sockets receive, in one subscription.
std::string live_wildcard(std::string_view room_id);
// chat.user.{id}.presence
std::string presence_subject(std::int64_t user_id);
// chat.gateway.{gatewayId}.notification: {roomId, message, userIds}, from the notifier to one
// gateway process, for the sockets there of those online members (the gateway id of their
// presence events) that have not joined the room: one NATS message per process, not per member.
std::string gateway_notification_subject(std::string_view gateway_id);
// chat.gateway.{gatewayId}.online: {gatewayId, at, userIds, part, parts}, every user with a
// socket on that gateway process as of `at` (its clock, as in its presence events), in parts of
// at most kOnlineListPart ids. Sent every kOnlineListEvery, and at once when a notifier that
// has just started asks on chat.presence.sync, so that it knows who is online without waiting
// for them to reconnect, and forgets a gateway that died without saying its users left.
std::string gateway_online_subject(std::string_view gateway_id);
inline constexpr const char* kGatewayOnlineWildcard = "chat.gateway.*.online";
inline constexpr const char* kPresenceSyncSubject = "chat.presence.sync";
inline constexpr std::size_t kOnlineListPart = 10000;
inline constexpr std::chrono::seconds kOnlineListEvery{10};

// For `serve --ack-after stored`. chat.messages.committed: after each transaction, a persister
// announces the ids it committed ({"ids": [...]}, one notice per batch, plain NATS), and each
// gateway process follows it. chat.messages.stored: a request to the service role, {"ids":
// [...]} → {"stored": [...]}, the ids of those that are in history (for a notice missed, or
// sent before the gateway started).
inline constexpr const char* kCommittedSubject = "chat.messages.committed";
inline constexpr const char* kStoredSubject = "chat.messages.stored";

// The token after the room id ("message" of chat.room.x.message and chat.live.x.message.dm);
// the last token of a shorter subject.
std::string_view subject_kind(std::string_view subject);

}  // namespace parkchat::chat
