#include "tlog/checkpoint.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "tlog/merkle.h"
#include "tlog/note.h"

namespace demarche::tlog {

std::string FormatCheckpoint(const Checkpoint& c) {
  std::string out = fmt::format("{}\n{}\n{}\n", c.origin, c.size, Base64(c.root));
  for (const std::string& e : c.extensions) out += e + "\n";
  return out;
}

absl::StatusOr<Checkpoint> ParseCheckpoint(std::string_view text) {
  if (text.empty() || text.back() != '\n')
    return absl::InvalidArgumentError("checkpoint: the text must end with a newline");
  text.remove_suffix(1);
  std::vector<std::string_view> lines;
  for (size_t begin = 0; begin <= text.size();) {
    const size_t end = std::min(text.find('\n', begin), text.size());
    lines.push_back(text.substr(begin, end - begin));
    begin = end + 1;
  }
  if (lines.size() < 3)
    return absl::InvalidArgumentError(
        "checkpoint: expected an origin, a tree size and a root hash line");
  Checkpoint c;
  if (lines[0].empty()) return absl::InvalidArgumentError("checkpoint: the origin line is empty");
  c.origin = std::string(lines[0]);
  const std::string_view size = lines[1];
  const auto [end, ec] = std::from_chars(size.data(), size.data() + size.size(), c.size);
  if (size.empty() || ec != std::errc() || end != size.data() + size.size() ||
      (size.size() > 1 && size[0] == '0'))
    return absl::InvalidArgumentError(
        "checkpoint: the second line must be the tree size in decimal without leading zeros");
  auto root = Unbase64(lines[2]);
  if (!root || root->size() != kHashBytes)
    return absl::InvalidArgumentError(
        "checkpoint: the third line must be the base64 of a 32-byte root hash");
  c.root = *std::move(root);
  for (size_t i = 3; i < lines.size(); ++i) {
    if (lines[i].empty())
      return absl::InvalidArgumentError("checkpoint: an extension line is empty");
    c.extensions.emplace_back(lines[i]);
  }
  return c;
}

std::string BranchOrigin(std::string_view key_name, std::string_view scenario,
                         std::string_view branch) {
  return fmt::format("{}/{}/{}", key_name, scenario, branch);
}

}  // namespace demarche::tlog
