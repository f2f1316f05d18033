#include "ledger/quote.h"

#include <fmt/format.h>

namespace demarche::ledger {
namespace {

// The longest prefix of `s` of at most `max` bytes that does not split a
// UTF-8 sequence.
std::string_view Prefix(std::string_view s, size_t max) {
  if (s.size() <= max) return s;
  size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  return s.substr(0, end);
}

}  // namespace

std::string Quote(std::string_view value) {
  if (value.size() <= kQuoteBytes) return fmt::format("\"{}\"", value);
  return fmt::format("\"{}…\" ({} bytes)", Prefix(value, 48), value.size());
}

std::string Truncated(std::string_view message, size_t max) {
  if (message.size() <= max) return std::string(message);
  constexpr std::string_view kMark = "…";
  return std::string(Prefix(message, max - kMark.size())) + std::string(kMark);
}

std::string MessageOf(const absl::Status& status) {
  const auto m = status.message();
  return Truncated(std::string_view(m.data(), m.size()));
}

}  // namespace demarche::ledger
