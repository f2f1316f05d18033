// A value from a request, quoted for an error message. Messages echo what
// the client sent so that it can see what was refused, but never at any
// length: a status message travels in gRPC metadata (8 KiB by default), and
// an echoed 8 KB id pushed it over, so that the client saw "metadata size
// exceeds limit" instead of the reason.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace demarche::ledger {

// Longest value quoted whole: event ids are up to 128 bytes and are worth
// reading in full.
inline constexpr size_t kQuoteBytes = 128;

// "\"value\"", or for a longer value its first bytes (cut at a UTF-8
// character boundary) and its length: "\"abc…\" (8192 bytes)".
std::string Quote(std::string_view value);

// Longest status message sent to a client or logged (the services cut any
// longer one, a last guard behind Quote).
inline constexpr size_t kMaxMessageBytes = 1024;
// `message` cut to at most `max` bytes at a character boundary, marked "…".
std::string Truncated(std::string_view message, size_t max = kMaxMessageBytes);
// A status's message, Truncated.
std::string MessageOf(const absl::Status& status);

}  // namespace demarche::ledger
