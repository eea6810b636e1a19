#pragma once
// How parkchat's clients resend a message that was not acknowledged (CONTRACT §7.2): always
// with the same id; by socket while the server's duplicate window (`serve --dedupe-window`,
// 2 minutes unless set) still knows the id; past it through REST, which looks the id up in
// history and answers the stored copy (duplicate: true) instead of storing and delivering the
// message a second time. A socket resend past the window would be taken for a new message.

#include <chrono>

namespace parkchat::client {

inline constexpr std::chrono::milliseconds kDedupeWindow = std::chrono::minutes(2);

enum class ResendPath { socket, rest };

// The way to resend a message first sent `pending_for` ago; unknown age counts as old.
inline ResendPath resend_path(std::chrono::steady_clock::duration pending_for,
                              std::chrono::milliseconds window = kDedupeWindow) {
  return pending_for < window ? ResendPath::socket : ResendPath::rest;
}

}  // namespace parkchat::client
