// C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint): the body of a
// signed note naming a log's tree at one size.
//
//   <origin>\n            a unique name of the log
//   <tree size>\n         decimal, no leading zeros
//   <base64 root hash>\n  32 bytes
//   [<extension>\n]...    optional lines, none empty
//
// demarche's origin is "<key name>/<scenario>/<branch>": one log per branch
// lineage of one server key.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace demarche::tlog {

struct Checkpoint {
  std::string origin;
  uint64_t size = 0;
  std::string root;  // 32 bytes
  std::vector<std::string> extensions;
};

std::string FormatCheckpoint(const Checkpoint& checkpoint);
// INVALID_ARGUMENT naming the line that is wrong.
absl::StatusOr<Checkpoint> ParseCheckpoint(std::string_view text);

// demarche's origin of a branch lineage.
std::string BranchOrigin(std::string_view key_name, std::string_view scenario,
                         std::string_view branch);

}  // namespace demarche::tlog
